"""Fixtures of the admissions tests: people with roles and intakes."""

import pytest

from admissions import services
from tests.admissions.helpers import PERSONAL, PHONE_E164, make_user


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
