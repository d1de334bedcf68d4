"""Fixtures of the admissions tests: people with roles, valid form data, intakes."""

import time

import pytest
from django.contrib.auth.models import Group
from django.core import signing

from admissions import services
from admissions.forms import STARTED_SALT

# Values distinctive enough to find anywhere they should not be.
PERSONAL = {
    "first_name": "Zebulonia",
    "phone": "(415) 555-2671",
    "email": "zebulonia.private@example.net",
    "insurance_provider": "Quixotic Mutual Health",
    "insurance_member_id": "QMH-99887766",
    "message": "My brother Thaddeus drinks every night",
}
PHONE_E164 = "+14155552671"


def signed_start(seconds_ago: float = 60) -> str:
    return signing.dumps(time.time() - seconds_ago, salt=STARTED_SALT)


def form_data(**overrides) -> dict:
    """A complete, valid POST of the intake form, filled a minute ago."""
    data = {
        **PERSONAL,
        "who_needs_help": "loved_one",
        "best_time": "evening",
        "voicemail_ok": "no",
        "contact_method": "call",
        "state": "CA",
        "substances": ["alcohol", "opioids"],
        "consent": "on",
        "website": "",
        "started": signed_start(),
        "source": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def make_user(django_user_model, username: str, *groups: str, email: str | None = None, **extra):
    user = django_user_model.objects.create_user(
        username=username,
        email=f"{username}@cardinal.example" if email is None else email,
        password="a-long-test-password-1",
        is_staff=True,
        **extra,
    )
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def navigator(django_user_model):
    return make_user(django_user_model, "nora", services.NAVIGATORS_GROUP)


@pytest.fixture
def supervisor(django_user_model):
    return make_user(django_user_model, "sam", services.SUPERVISORS_GROUP)


@pytest.fixture
def editor(django_user_model):
    """A content editor: staff, but no admissions permission."""
    return make_user(django_user_model, "eddie")


@pytest.fixture
def make_intake():
    def make(**overrides):
        values = {
            "first_name": PERSONAL["first_name"],
            "phone": PHONE_E164,
            "who_needs_help": "self",
            "best_time": "any",
            "voicemail_ok": True,
            "contact_method": "call",
            "email": PERSONAL["email"],
            "insurance_provider": PERSONAL["insurance_provider"],
            "insurance_member_id": PERSONAL["insurance_member_id"],
            "message": PERSONAL["message"],
            "consent_page": "/admissions/",
        }
        values.update(overrides)
        return services.intake_submit(**values)

    return make
