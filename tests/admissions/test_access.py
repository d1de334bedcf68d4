"""Who may see what of an intake: the phone search, lookups from the address, the
overview, and personal details for the assignee and the supervisors only."""

import csv
import importlib
import io
import re

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

from admissions import export, roles, services
from admissions.admin import PHONE_SEARCH_SESSION_KEY
from admissions.models import AccessRecord, Intake
from admissions.roles import NAVIGATORS_GROUP, SUPERVISORS_GROUP
from tests.admissions.helpers import INTAKE_LIST, PERSONAL, PHONE_E164, change_url
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_off")]

LIST = INTAKE_LIST
FIND = f"{LIST}find/"
OVERVIEW = "/admin/admissions/admissionsoverview/"


def with_permissions(username: str, *codenames: str):
    user = make_user(username)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="admissions", codename__in=codenames)
    )
    return user


@pytest.fixture
def navlim():
    """Works intakes, without the personal data permission."""
    return with_permissions("navlim", "view_intake", "change_intake", "add_intakeactivity")


@pytest.fixture
def olga():
    """A second navigator."""
    return make_user("olga", NAVIGATORS_GROUP)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def shows_personal_details(html: str) -> bool:
    return PERSONAL["first_name"] in html or PERSONAL["insurance_member_id"] in html


# --- Finding 3: the phone search ---------------------------------------------------


def test_phone_search_needs_the_personal_data_permission(client, navlim, make_intake):
    make_intake()
    client.force_login(navlim)
    assert client.post(FIND, {"q": PERSONAL["phone"]}).status_code == 403
    assert not AccessRecord.objects.exists()
    assert PHONE_SEARCH_SESSION_KEY not in client.session
    with pytest.raises(PermissionDenied):
        services.intake_find_by_phone(user=navlim, phone=PHONE_E164)
    # A reference is no secret: the search box still finds one.
    intake = make_intake()
    response = client.post(FIND, {"q": intake.reference})
    assert response.status_code == 302 and response["Location"].endswith(intake.reference)


def test_phone_search_records_the_hash_and_each_intake_found(client, supervisor, make_intake):
    first, second = make_intake(), make_intake()
    make_intake(phone="+12025550123")
    client.force_login(supervisor)
    response = client.post(FIND, {"q": PERSONAL["phone"]}, follow=True)
    assert messages_of(response) == ["Intakes from that phone number: 2."]
    records = AccessRecord.objects.filter(action="search")
    assert sorted(record.intake_id for record in records) == sorted([first.pk, second.pk])
    assert {record.phone_hash for record in records} == {first.phone_hash}
    assert {record.detail for record in records} == {"2 intakes matched"}


def test_phone_search_results_stay_in_the_session_and_can_be_cleared(
    client, supervisor, make_intake
):
    found, other = make_intake(), make_intake(phone="+12025550123")
    client.force_login(supervisor)
    response = client.post(FIND, {"q": PERSONAL["phone"], "status__exact": "new"})
    location = response["Location"]
    assert location == f"{LIST}?status__exact=new&phone_search=results"
    assert client.session[PHONE_SEARCH_SESSION_KEY] == [found.pk]

    html = client.get(location).content.decode()
    assert found.reference in html and other.reference not in html
    assert "Phone search results" in html  # the filter in the sidebar
    assert "Showing the intakes from the phone number you searched for." in html
    assert 'name="clear"' in html
    # Seeing the results again writes nothing new: the search was recorded once.
    assert AccessRecord.objects.filter(action="search").count() == 1

    cleared = client.post(FIND, {"clear": "1"})
    assert cleared["Location"] == LIST
    assert PHONE_SEARCH_SESSION_KEY not in client.session
    html = client.get(location).content.decode()
    assert found.reference not in html and other.reference not in html
    assert "Phone search results" in html  # the filter is on, and shows nothing


def test_the_intake_list_refuses_a_phone_hash_in_its_address(client, supervisor, make_intake):
    intake = make_intake()
    client.force_login(supervisor)
    response = client.get(LIST, {"phone_hash": intake.phone_hash})
    assert response.status_code == 400
    assert intake.reference not in response.content.decode()


# --- Finding 9: no lookups on encrypted fields ---------------------------------------


@pytest.mark.parametrize("field", Intake.PERSONAL_FIELDS)
@pytest.mark.parametrize("suffix", ["", "__exact", "__isnull"])
def test_the_intake_list_refuses_lookups_on_encrypted_fields(
    client, navlim, make_intake, field, suffix
):
    with_value, without = make_intake(), make_intake(email="", message="", substances=[])
    client.force_login(navlim)
    value = "True" if suffix == "__isnull" else ""
    response = client.get(LIST, {f"{field}{suffix}": value})
    assert response.status_code == 400, field
    html = response.content.decode()
    assert with_value.reference not in html and without.reference not in html


def test_the_lists_own_filters_still_work(client, navigator, make_intake):
    mine = services.intake_assign(intake=make_intake(source_page="naltrexone"), navigator=navigator)
    other = make_intake(source_page="baclofen")
    client.force_login(navigator)
    for params in (
        {"status__exact": "new", "source_page": "naltrexone"},
        {"source_page__exact": "naltrexone"},
        {"assignee": "me", "overdue": "no"},
    ):
        response = client.get(LIST, params)
        assert response.status_code == 200, params
        html = response.content.decode()
        assert mine.reference in html and other.reference not in html, params


# --- Finding 15: the overview is the supervisors' page --------------------------------


def test_the_overview_is_for_supervisors_only(client, navigator, supervisor):
    client.force_login(navigator)
    assert client.get(OVERVIEW).status_code == 403
    assert OVERVIEW not in client.get("/admin/").content.decode()
    client.force_login(supervisor)
    assert client.get(OVERVIEW).status_code == 200
    assert OVERVIEW in client.get("/admin/").content.decode()


def test_the_migrated_groups_hold_the_permissions_roles_lists():
    for name, codenames in roles.GROUPS.items():
        held = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        assert held == set(codenames), name
    assert "view_admissionsoverview" not in roles.NAVIGATOR_PERMISSIONS
    assert "view_all_personal_data" not in roles.NAVIGATOR_PERMISSIONS


def test_the_migration_takes_the_overview_from_navigators_of_an_existing_database():
    migration = importlib.import_module("admissions.migrations.0004_fill_chain_authors_and_groups")
    navigators = Group.objects.get(name=NAVIGATORS_GROUP)
    supervisors = Group.objects.get(name=SUPERVISORS_GROUP)
    overview = Permission.objects.get(codename="view_admissionsoverview")
    every_intake = Permission.objects.get(codename="view_all_personal_data")
    # The groups as the 0002 migration made them.
    navigators.permissions.add(overview)
    supervisors.permissions.remove(every_intake)
    migration.update_groups(global_apps, None)
    assert not navigators.permissions.filter(pk=overview.pk).exists()
    assert supervisors.permissions.filter(pk=overview.pk).exists()
    assert supervisors.permissions.filter(pk=every_intake.pk).exists()


# --- Finding 15: personal details for the assignee and the supervisors ----------------


def test_a_navigator_sees_an_unassigned_intakes_details_once_they_pick_it_up(
    client, navigator, make_intake
):
    intake = make_intake()
    services.intake_log_activity(
        intake=intake, author=navigator, kind="note", note="Thaddeus prefers evenings"
    )
    client.force_login(navigator)
    html = client.get(change_url(intake)).content.decode()
    assert not shows_personal_details(html) and "Thaddeus" not in html
    assert "Hidden until you pick the intake up" in html

    client.post(LIST, {"action": "assign_to_me", "_selected_action": [intake.pk]})
    html = client.get(change_url(intake)).content.decode()
    assert shows_personal_details(html) and "Thaddeus prefers evenings" in html


def test_other_navigators_see_the_masked_view_and_cannot_take_the_intake(
    client, navigator, olga, make_intake
):
    intake = services.intake_assign(intake=make_intake(), navigator=navigator)
    services.intake_log_activity(
        intake=intake, author=navigator, kind="note", note="Thaddeus prefers evenings"
    )
    client.force_login(olga)
    html = client.get(change_url(intake)).content.decode()
    assert not shows_personal_details(html) and "Thaddeus" not in html
    assert "assigned to another navigator" in html
    assert '<select name="assigned_to"' not in html

    response = client.post(  # from All intakes: nora's intake is not in olga's queue
        f"{LIST}?queue=all",
        {"action": "assign_to_me", "_selected_action": [intake.pk]},
        follow=True,
    )
    assert "1 intakes assigned to another navigator were left as they are" in " ".join(
        messages_of(response)
    )
    post = {
        "status": "attempting",
        "assigned_to": olga.pk,
        "activities-TOTAL_FORMS": "0",
        "activities-INITIAL_FORMS": "0",
        "activities-MIN_NUM_FORMS": "0",
        "activities-MAX_NUM_FORMS": "1",
        "_save": "Save",
    }
    assert client.post(change_url(intake), post).status_code == 302
    intake.refresh_from_db()
    assert intake.status == "attempting" and intake.assigned_to == navigator


def test_a_failed_post_that_names_a_new_assignee_shows_no_details(client, navigator, make_intake):
    intake = make_intake()
    client.force_login(navigator)
    post = {
        "status": "bogus",
        "assigned_to": navigator.pk,
        "activities-TOTAL_FORMS": "0",
        "activities-INITIAL_FORMS": "0",
        "activities-MIN_NUM_FORMS": "0",
        "activities-MAX_NUM_FORMS": "1",
    }
    response = client.post(change_url(intake), post)
    assert response.status_code == 200
    assert not shows_personal_details(response.content.decode())
    intake.refresh_from_db()
    assert intake.assigned_to is None


def test_supervisors_see_every_intakes_details_and_reassign_it(
    client, supervisor, navigator, olga, make_intake
):
    intake = services.intake_assign(intake=make_intake(), navigator=navigator)
    client.force_login(supervisor)
    html = client.get(change_url(intake)).content.decode()
    assert shows_personal_details(html)
    select = re.search(r'<select name="assigned_to".*?</select>', html, re.S).group(0)
    assert ">olga<" in select
    client.post(LIST, {"action": "assign_to_me", "_selected_action": [intake.pk]})
    intake.refresh_from_db()
    assert intake.assigned_to == supervisor


def test_a_navigator_given_the_wider_permission_sees_every_intake(client, olga, make_intake):
    intake = make_intake()
    client.force_login(olga)
    assert not shows_personal_details(client.get(change_url(intake)).content.decode())
    olga.user_permissions.add(Permission.objects.get(codename="view_all_personal_data"))
    olga = type(olga).objects.get(pk=olga.pk)  # a fresh permission cache
    client.force_login(olga)
    assert shows_personal_details(client.get(change_url(intake)).content.decode())


def test_the_phone_search_finds_only_intakes_the_navigator_may_see(
    client, navigator, olga, make_intake
):
    services.intake_assign(intake=make_intake(), navigator=navigator)
    client.force_login(olga)
    response = client.post(FIND, {"q": PERSONAL["phone"]}, follow=True)
    assert messages_of(response) == ["Intakes from that phone number assigned to you: 0."]
    assert client.session[PHONE_SEARCH_SESSION_KEY] == []
    record = AccessRecord.objects.get(action="search")
    assert record.intake is None and record.detail == "0 intakes matched"
    assert services.intake_find_by_phone(user=navigator, phone=PHONE_E164).count == 1


def test_the_export_fills_personal_columns_only_for_intakes_the_user_may_see(make_intake):
    exporter = with_permissions("exp", "view_intake", "export_intakes", "view_personal_data")
    own = services.intake_assign(intake=make_intake(), navigator=exporter)
    others = make_intake()
    out = io.StringIO()
    export.intake_export_csv(
        intakes=Intake.objects.all(), user=exporter, include_personal=True, out=out
    )
    rows = {row["Reference"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}
    assert rows[own.reference]["First name"] == PERSONAL["first_name"]
    assert rows[others.reference]["First name"] == ""
    assert rows[others.reference]["Phone"] == "" and rows[others.reference]["Email"] == ""
    details = dict(AccessRecord.objects.values_list("intake_id", "detail"))
    assert details == {
        own.pk: "export of 2 intakes with personal data",
        others.pk: "export of 2 intakes",
    }
