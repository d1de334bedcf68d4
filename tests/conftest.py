"""Fixtures shared by every test tier."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    """The Spanish pages need the compiled catalogues, also when pytest is run
    without make (scripts/compile_messages.py; quick when they are current)."""
    from scripts.compile_messages import compile_all

    compile_all()


@pytest.fixture(autouse=True)
def _task_mode(request, settings):
    """Unit tests run tasks in-process; integration tests send them to the broker."""
    from cardinal.celery import app

    eager = request.node.get_closest_marker("integration") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    settings.CELERY_TASK_ALWAYS_EAGER = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (rate limits, cached pages)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def navigator(django_user_model):
    """A navigator with an email address, marked available (on duty): the person
    new intakes are mailed to while admissions is open."""
    from admissions.roles import NAVIGATORS_GROUP
    from tests.admissions.helpers import on_duty
    from tests.factories import make_user

    nora = make_user("nora", NAVIGATORS_GROUP)
    on_duty(nora)
    return nora


@pytest.fixture
def make_intake():
    """make_intake(**overrides): an intake sent through the form's service, with the
    distinctive personal values of tests/admissions/helpers.py."""
    from admissions import services
    from tests.admissions.helpers import PERSONAL, PHONE_E164

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


@pytest.fixture
def two_factor_off(settings):
    """Staff go straight to the admin; two-factor sign-in has tests of its own."""
    settings.STAFF_REQUIRE_2FA = False


@pytest.fixture
def no_fill_time(settings):
    """The intake form takes answers at once: a test fills it faster than people do."""
    settings.ADMISSIONS_MIN_FILL_SECONDS = 0
