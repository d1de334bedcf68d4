"""The intake form's error messages: each says what to do, and the summary reads right."""

import re

import pytest

from tests.admissions.helpers import form_data

pytestmark = pytest.mark.django_db

URL = "/admissions/"

# What each question left unanswered says, next to it and in the error summary.
UNANSWERED = {
    "first_name": "Enter your first name, or any name we can call you by.",
    "phone": "Enter a phone number we can call.",
    "contact_method": "Choose a phone call or a text message.",
    "best_time": "Choose a time of day, or any time.",
    "voicemail_ok": "Choose yes or no.",
    "who_needs_help": "Choose who the help is for.",
    "consent": "Please tick the box so we may call or text you.",
}


def summary_items(response) -> list[str]:
    """The error summary's items as a person reads them, tags and spacing removed."""
    html = response.content.decode()
    summary = html[html.index("data-error-summary") : html.index("<form")]
    items = re.findall(r"<li>(.*?)</li>", summary, re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in items]


def test_each_unanswered_question_says_what_to_do(client):
    blank = dict.fromkeys(UNANSWERED)  # None leaves the field out of the post
    response = client.post(URL, form_data(client, **blank))

    errors = response.context["form"].errors
    assert {name: errors[name] for name in errors} == {
        name: [message] for name, message in UNANSWERED.items()
    }
    assert "This field is required" not in response.content.decode()


def test_error_summary_names_each_question_once_with_a_colon_after_a_name(client):
    blank = dict.fromkeys(UNANSWERED)
    response = client.post(URL, form_data(client, **blank, email="no-at-sign"))

    assert summary_items(response) == [
        "First name: Enter your first name, or any name we can call you by.",
        "Phone number: Enter a phone number we can call.",
        "How to reach you first: Choose a phone call or a text message.",
        "Best time to call: Choose a time of day, or any time.",
        "Voicemail: Choose yes or no.",
        "Who needs help: Choose who the help is for.",
        "Email: Enter an email address like name@example.com, or leave it empty.",
        "Consent to be contacted: Please tick the box so we may call or text you.",
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_method", "pigeon", "Choose a phone call or a text message."),
        ("state", "XX", "Choose a state from the list, or leave it empty."),
        ("substances", ["alcohol", "glue"], "Tick only choices from the list."),
    ],
)
def test_a_choice_not_offered_says_what_to_choose(client, field, value, message):
    response = client.post(URL, form_data(client, **{field: value}))

    assert response.context["form"].errors[field] == [message]
