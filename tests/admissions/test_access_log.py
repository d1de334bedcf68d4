"""The access log says what happened in words ("nora viewed CR-7K3F9Q's personal
details"), in its list, on an entry's page and wherever an entry is named, never
by internal ids; the words hold no personal data."""

import html
import re

import pytest

from admissions import services
from admissions.models import AccessRecord
from tests.admissions.helpers import INTAKE_LIST, PERSONAL, change_form, change_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_off")]

LOG = "/admin/admissions/accessrecord/"


def said(**filters) -> list[str]:
    return [str(record) for record in AccessRecord.objects.filter(**filters).order_by("pk")]


def test_opening_an_intake_says_whether_its_personal_details_were_shown(
    client, navigator, supervisor, make_intake
):
    mine = services.intake_assign(intake=make_intake(), navigator=navigator)
    unassigned = make_intake()
    client.force_login(navigator)
    client.get(change_url(mine))
    client.get(change_url(unassigned))
    client.force_login(supervisor)
    client.get(change_url(unassigned))
    assert said(action="view") == [
        f"nora viewed {mine.reference}'s personal details",
        f"nora opened {unassigned.reference}, personal details hidden",
        f"sam viewed {unassigned.reference}'s personal details",
    ]


def test_a_change_on_the_intake_page_is_said_in_words(client, navigator, make_intake):
    intake = make_intake()
    client.force_login(navigator)
    posted = change_form(
        intake,
        status="attempting",
        assigned_to=navigator.pk,
        **{"activities-0-kind": "call_attempt"},
    )
    assert client.post(change_url(intake), posted).status_code == 302
    intake.refresh_from_db()
    assert client.post(change_url(intake), change_form(intake)).status_code == 302
    assert said(action="change") == [
        f"nora changed {intake.reference}: assigned to nora, status to Attempting contact, "
        "logged “Call attempt”",
        f"nora changed {intake.reference}: saved with no change",
    ]


def test_list_actions_searches_and_exports_are_said_in_words(
    client, navigator, supervisor, make_intake
):
    intake = make_intake()
    client.force_login(navigator)
    client.post(INTAKE_LIST, {"action": "assign_to_me", "_selected_action": [intake.pk]})
    client.post(f"{INTAKE_LIST}find/", {"q": PERSONAL["phone"]})
    client.post(f"{INTAKE_LIST}find/", {"q": "(212) 555-0188"})
    client.force_login(supervisor)
    client.post(INTAKE_LIST, {"action": "export_csv", "_selected_action": [intake.pk]})
    assert said(action__in=["change", "search", "export"]) == [
        f"nora changed {intake.reference}: assigned to nora (list action)",
        f"nora searched by phone number and found {intake.reference} (1 intake matched)",
        "nora searched by phone number and found no intake (0 intakes matched)",
        f"sam exported {intake.reference} (export of 1 intake with personal data)",
    ]


def test_the_log_lists_and_shows_entries_in_words_not_ids(
    client, navigator, supervisor, make_intake
):
    intake = services.intake_assign(intake=make_intake(), navigator=navigator)
    client.force_login(navigator)
    client.get(change_url(intake))
    record = AccessRecord.objects.get()
    words = f"nora viewed {intake.reference}'s personal details"

    client.force_login(supervisor)
    listed = html.unescape(client.get(LOG).text)
    assert words in listed
    assert "What happened" in listed
    entry = html.unescape(client.get(f"{LOG}{record.pk}/change/").text)
    assert f"<title>{words} | View access record" in entry
    assert re.search(rf'<div class="readonly">\s*{re.escape(words)}\s*</div>', entry)
    for page in (listed, entry):
        assert f"#{record.pk}" not in page
        assert not [value for value in PERSONAL.values() if value in page]
