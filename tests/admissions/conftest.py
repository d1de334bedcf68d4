"""Fixtures of the admissions tests: people with roles, and guides.

The `navigator` (nora), `make_intake` and `two_factor_off` fixtures come from
tests/conftest.py.
"""

import pytest

from admissions.roles import SUPERVISORS_GROUP
from tests.factories import make_user


@pytest.fixture
def supervisor():
    """Sees personal details and exports (the Admissions supervisors group)."""
    return make_user("sam", SUPERVISORS_GROUP)


@pytest.fixture
def editor():
    """A content editor: staff, but no admissions permission."""
    return make_user("eddie")


@pytest.fixture
def guide():
    """Make a medication guide with a slug, published unless told otherwise: the
    pages an intake may record as where the person came from."""
    from education.models import Guide

    def make(slug: str, status: str = "published") -> Guide:
        return Guide.objects.create(
            slug=slug,
            title=slug.title(),
            medication=slug.title(),
            description="A guide.",
            mechanism="Works.",
            key_caution="Careful.",
            summary="Takeaway.",
            body="## About\n\nText.",
            status=status,
        )

    return make


@pytest.fixture
def queued(monkeypatch):
    """What intake_notify.delay was called with (nothing runs)."""
    from admissions import tasks

    calls = []
    monkeypatch.setattr(tasks.intake_notify, "delay", lambda *args: calls.append(args))
    return calls
