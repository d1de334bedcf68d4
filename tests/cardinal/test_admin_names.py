"""Staff meet every admin section under a plain name: "Staff accounts", not
"Authentication and Authorization"; django-axes' records as "Sign-in lockouts",
"Successful sign-ins" and "Failed sign-ins" beside the "Two-factor devices",
not "Axes" and "Access attempts"; and the sign-in lockouts page still unlocks."""

import html
import re

import pytest
from axes.models import AccessAttempt

from admissions.roles import NAVIGATORS_GROUP, SUPERVISORS_GROUP
from tests.factories import STAFF_PASSWORD, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_off")]

EVERY_SECTION = {
    "Admissions": ["Access records", "Admissions overview", "Intakes"],
    "Medication guides": [
        "Conditions",
        "Guide translations",
        "Guides",
        "Reviewer profiles",
        "Sources",
        "Testimonials",
    ],
    "Staff accounts": ["Groups", "Users"],
    "Staff sign-in": [
        "Enrolment links",
        "Failed sign-ins",
        "Recovery codes",
        "Sign-in lockouts",
        "Successful sign-ins",
        "Two-factor devices",
    ],
}


def sections(page: str) -> dict[str, list[str]]:
    """The admin index's sections and the names of their entries, as shown."""
    main = page.split('id="content-main"')[1]
    found = {}
    for block in re.split(r"<caption>", main)[1:]:
        name = re.search(r'class="section"[^>]*>(.*?)</a>', block, re.S).group(1)
        entries = re.findall(r'<th scope="row"[^>]*>\s*(?:<a [^>]*>)?(.*?)<', block, re.S)
        found[html.unescape(name.strip())] = [html.unescape(entry.strip()) for entry in entries]
    return found


def test_a_superuser_sees_every_section_under_a_plain_name(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/").text
    assert sections(page) == EVERY_SECTION
    for jargon in ("Authentication and Authorization", "Axes", "Access attempt", "Access log"):
        assert jargon not in page


@pytest.mark.parametrize(
    ("group", "shown"),
    [
        (NAVIGATORS_GROUP, {"Admissions": ["Intakes"]}),
        (SUPERVISORS_GROUP, {"Admissions": ["Access records", "Admissions overview", "Intakes"]}),
    ],
)
def test_admissions_staff_see_their_sections_under_plain_names(client, group, shown):
    client.force_login(make_user("someone", group))
    assert sections(client.get("/admin/").text) == shown


@pytest.mark.parametrize(
    ("address", "title"),
    [
        ("/admin/staff/signinlockout/", "Sign-in lockouts"),
        ("/admin/staff/successfulsignin/", "Successful sign-ins"),
        ("/admin/staff/failedsignin/", "Failed sign-ins"),
        ("/admin/staff/stafftotpdevice/", "Two-factor devices"),
    ],
)
def test_each_sign_in_page_is_titled_in_plain_words(client, admin_user, address, title):
    client.force_login(admin_user)
    page = client.get(address)
    assert page.status_code == 200
    crumbs = re.search(r'class="breadcrumbs">(.*?)</div>', page.text, re.S)[1]
    words = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", crumbs))).strip()
    assert words == f"Home › Staff sign-in › {title}"


def test_deleting_a_sign_in_lockout_unlocks_the_account(client, admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    make_user("nora")

    def sign_in(password):
        return client.post(
            "/admin/login/", {"username": "nora", "password": password}, REMOTE_ADDR="10.0.0.5"
        )

    sign_in("wrong")
    sign_in("wrong")
    assert sign_in(STAFF_PASSWORD).status_code == 429

    client.force_login(admin_user)
    assert "Locked Out" in client.get("/admin/staff/signinlockout/").text
    chosen = {"action": "delete_selected", "_selected_action": [AccessAttempt.objects.get().pk]}
    confirm = client.post("/admin/staff/signinlockout/", chosen).text
    text = html.unescape(re.sub(r"<[^>]+>", "", confirm))
    assert "Sign-in lockout: nora from 10.0.0.5: 3 failed sign-ins" in text
    deleted = client.post("/admin/staff/signinlockout/", {**chosen, "post": "yes"})
    assert deleted.status_code == 302
    client.logout()
    assert sign_in(STAFF_PASSWORD).status_code == 302
