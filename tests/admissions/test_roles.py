"""The staff groups: who counts as an active member of one."""

import re

import pytest

from admissions.roles import NAVIGATORS_GROUP, SUPERVISORS_GROUP, active_members
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_active_members_are_the_groups_active_users_by_username():
    make_user("zoe", NAVIGATORS_GROUP)
    make_user("amy", NAVIGATORS_GROUP, email="")
    make_user("gone", NAVIGATORS_GROUP, is_active=False)
    make_user("sam", SUPERVISORS_GROUP)
    make_user("eddie")
    members = active_members(NAVIGATORS_GROUP)
    assert [user.username for user in members] == ["amy", "zoe"]
    with_email = active_members(NAVIGATORS_GROUP, with_email=True)
    assert [user.username for user in with_email] == ["zoe"]
    assert [user.username for user in active_members(SUPERVISORS_GROUP)] == ["sam"]


def test_a_user_in_both_groups_is_listed_once_in_each():
    make_user("nell", NAVIGATORS_GROUP, SUPERVISORS_GROUP)
    assert [user.username for user in active_members(NAVIGATORS_GROUP)] == ["nell"]
    assert [user.username for user in active_members(SUPERVISORS_GROUP)] == ["nell"]


def test_the_assignee_filter_lists_active_navigators(client, navigator, two_factor_off):
    make_user("gone", NAVIGATORS_GROUP, is_active=False)
    make_user("eddie")
    make_user("adam", NAVIGATORS_GROUP)
    client.force_login(navigator)
    html = client.get("/admin/admissions/intake/").content.decode()
    filter_links = re.findall(r'href="\?assignee=\d+"[^>]*>([^<]+)</a>', html)
    assert filter_links == ["adam", "nora"]
