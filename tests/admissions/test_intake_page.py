"""An intake's page in the order of the call: where the intake stands (status,
navigator, when to call) and the form to log a call, voicemail or note first,
with a Save button beside them; the person and how to reach them next (with the
earlier intakes from the phone); the consent and the history last. The log form
is one plain form: no "#1" heading, no remove or add control."""

import re

import pytest

from admissions import services
from admissions.models import IntakeActivity
from tests.admissions.helpers import change_form, change_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_off")]

IN_ORDER = [
    "Log a call, voicemail or note",
    "The person",
    "How to contact them",
    "Earlier intakes from this phone",
    "Consent and history",
    "Timeline",
]


def the_form(html: str) -> str:
    return re.search(r'<form [^>]*id="intake_form".*?</form>', html, re.S).group(0)


def headings(html: str) -> list[str]:
    """The section headings of the intake's form, top to bottom."""
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r"<h2[^>]*>(.*?)</h2>", the_form(html), re.S)
    ]


def fields_before_the_log_form(html: str) -> list[str]:
    """The rows of the page above the log form (field-<name> of each row)."""
    top = the_form(html).split('id="activities-group"')[0]
    return re.findall(r'class="form-row[^"]*\bfield-(\w+)', top)


def log_form(html: str) -> str:
    return re.search(r'<div class="inline-group log-activity".*?</fieldset>', html, re.S).group(0)


@pytest.fixture
def repeat_caller(navigator, make_intake):
    """Nora's intake from a phone that wrote to her before."""
    before = services.intake_assign(intake=make_intake(), navigator=navigator)
    services.intake_set_status(intake=before, status="closed", by=navigator)
    return services.intake_assign(intake=make_intake(), navigator=navigator)


def test_the_status_and_the_log_form_come_first_then_the_person_then_consent_and_history(
    client, navigator, repeat_caller
):
    client.force_login(navigator)
    html = client.get(change_url(repeat_caller)).text
    assert headings(html) == IN_ORDER
    assert fields_before_the_log_form(html) == [
        "status",
        "assigned_to",
        "call_after_full",
        "due_full",
    ]
    form = the_form(html)
    # Save beside the log form, and again at the end.
    assert (
        form.index('id="activities-group"')
        < form.index('name="_save"')
        < form.index(">The person</h2>")
    )
    assert form.count('name="_save"') == 2
    history = form.split(">Consent and history</h2>")[1].split(">Timeline</h2>")[0]
    for row in ("reference", "consent_summary", "source_page", "created_at", "notified_at"):
        assert f"field-{row}" in history


def test_a_navigator_without_sight_of_the_details_gets_the_same_order(
    client, navigator, make_intake
):
    client.force_login(navigator)
    html = client.get(change_url(make_intake())).text  # unassigned: details hidden
    assert "Hidden until you pick the intake up" in html
    assert headings(html) == [name for name in IN_ORDER if not name.startswith("Earlier")]
    assert fields_before_the_log_form(html)[:2] == ["status", "assigned_to"]


def test_the_log_form_has_no_number_and_no_remove_or_add_control(client, navigator, repeat_caller):
    client.force_login(navigator)
    html = client.get(change_url(repeat_caller)).text
    form = log_form(html)
    assert "Log a call, voicemail or note" in form
    assert "#1" not in form and "inline_label" not in form
    # Django's inline script adds "Remove" and "Add another" to a formset it finds.
    assert "js-inline-admin-formset" not in html and "data-inline-formset" not in html
    assert "__prefix__" not in html  # no template form to copy
    assert "Add another" not in html and "inline-deletelink" not in html
    assert 'name="activities-0-kind"' in form and 'name="activities-TOTAL_FORMS"' in form


def test_the_log_form_still_logs_a_call(client, navigator, repeat_caller):
    client.force_login(navigator)
    posted = change_form(
        repeat_caller,
        **{"activities-0-kind": "call_attempt", "activities-0-reached": "on"},
    )
    response = client.post(change_url(repeat_caller), posted)
    assert response.status_code == 302, response.text
    call = IntakeActivity.objects.get(intake=repeat_caller, kind="call_attempt")
    assert call.reached and call.author == navigator
