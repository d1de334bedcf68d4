"""manage.py launch_check: Django's deployment checks and the clinic's, one line per
problem with its fix, exit status 1 while any remain and 0 once none does."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.test import override_settings

from cardinal import launch
from education.models import Guide, ReviewerProfile
from education.services import guide_review_sign_off
from tests.cardinal.helpers import PRODUCTION_SECRETS, settings_from_env
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# The About our care file of a clinic that has filled in every fact.
COMPLETE_CARE_FILE = Path(__file__).with_name("about_our_care_complete.toml")
# A clinic ready to launch, as its production environment says it.
COMPLETE = {
    "DJANGO_DEBUG": "0",
    **PRODUCTION_SECRETS,
    "DJANGO_ALLOWED_HOSTS": "care.cardinal-recovery.org",
    "SITE_URL": "https://care.cardinal-recovery.org",
    "CLINIC_LEGAL_NAME": "Cardinal Recovery Services, Inc.",
    "CLINIC_ADDRESS": "1200 K Street NW, Suite 400, Washington, DC 20005",
    "HELPLINE_PHONE": "(202) 730-4100",
    "ADMISSIONS_ONCALL_EMAIL": "on-call@cardinal-recovery.org",
    "EMAIL_HOST": "smtp.cardinal-recovery.org",
    "DEFAULT_FROM_EMAIL": "Cardinal Recovery <no-reply@cardinal-recovery.org>",
    "CLINIC_CARE_FILE": str(COMPLETE_CARE_FILE),
}
# What of those settings the checks read (the rest, the database and the apps
# among them, stay the test suite's).
CHECKED = (
    "DEBUG", "SECRET_KEY", "SECRET_KEY_FALLBACKS", "ALLOWED_HOSTS", "SITE_URL",
    "CSRF_TRUSTED_ORIGINS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "EMAIL_BACKEND",
    "DEFAULT_FROM_EMAIL", "CLINIC_LEGAL_NAME", "CLINIC_ADDRESS", "HELPLINE_PHONE",
    "ADMISSIONS_ONCALL_EMAIL", "CLINIC_CARE_FILE",
)  # fmt: skip


@pytest.fixture
def site_environment(monkeypatch):
    """The checks as the site's own processes run them. The test suite sets
    DJANGO_ALLOW_ASYNC_UNSAFE (tests/conftest.py: the browser tier's event loop
    runs in the test thread), which Django's async check refuses and which the
    site's processes never have (tests/harness.py drops it): that one check is
    left out here, rather than the variable, which the database needs while an
    event loop runs."""
    from django.core.checks import registry
    from django.core.checks.async_checks import check_async_unsafe

    for name in ("registered_checks", "deployment_checks"):
        checks = getattr(registry.registry, name) - {check_async_unsafe}
        monkeypatch.setattr(registry.registry, name, checks)


@pytest.fixture
def production(site_environment):
    """The settings cardinal/settings.py makes of COMPLETE that the checks read, in
    force while the test runs."""
    values = settings_from_env(**COMPLETE)
    checked = {
        name: value
        for name, value in values.items()
        if name in CHECKED or name.startswith("SECURE_")
    }
    with override_settings(**checked):
        yield


def launch_check() -> tuple[int, str]:
    """Run the command: (exit status, what it printed)."""
    out = StringIO()
    try:
        call_command("launch_check", "--no-color", stdout=out)
    except CommandError as error:
        return error.returncode, f"{out.getvalue()}{error}\n"
    return 0, out.getvalue()


@pytest.fixture
def shipped_guides(db, shipped_guides):
    """The guides `make run` loads: published, never reviewed."""
    guides = list(Guide.objects.published())
    assert guides
    return guides


def sign_off(guides) -> None:
    reviewer = make_user("dana-reviewer", "Medical reviewers")
    ReviewerProfile.objects.create(user=reviewer, display_name="Dana Reviewer", credentials="MD")
    for guide in guides:
        guide_review_sign_off(guide=guide, reviewer=reviewer)


def test_on_the_embedded_defaults_each_problem_is_named_with_its_fix(
    shipped_guides, site_environment, settings
):
    settings.DEBUG = True  # as `make run` has it (Django's test runner turns it off)
    status, output = launch_check()

    assert status == 1
    lines = output.strip().splitlines()
    assert lines[-1] == f"Not ready to launch: {len(lines) - 1} problems above."
    expected = {
        "cardinal.L001": ("CLINIC_LEGAL_NAME", "placeholder legal name"),
        "cardinal.L002": ("CLINIC_ADDRESS", "Example Street"),
        "cardinal.L003": ("HELPLINE_PHONE", "(202) 555-0147", "fictional"),
        "cardinal.L004": ("SITE_URL", "not HTTPS"),
        "cardinal.L005": ("SITE_URL", "loopback"),
        "cardinal.L006": ("ADMISSIONS_ONCALL_EMAIL", "on-call@localhost"),
        "cardinal.L007": ("EMAIL_HOST",),
        "cardinal.L008": ("DEFAULT_FROM_EMAIL", "no-reply@localhost"),
        "security.W018": ("DEBUG",),
    }
    for check_id, words in expected.items():
        [line] = [line for line in lines if line.startswith(f"{check_id}: ")]
        for word in words:
            assert word in line, (word, line)
    for guide in shipped_guides:
        page = f"{settings.SITE_URL}/admin/education/guide/{guide.pk}/sign-off/"
        [line] = [line for line in lines if f" {guide.slug} " in line]
        assert line.startswith("cardinal.L009: ") and "never reviewed" in line and page in line
    # One line each, every one saying how to fix it.
    for line in lines[:-1]:
        assert re.match(r"^[a-z_]+\.[A-Z]\d{3}: ", line), line


def test_a_complete_configuration_with_reviewed_guides_is_ready(shipped_guides, production):
    sign_off(shipped_guides)
    status, output = launch_check()
    assert (status, output) == (
        0,
        "Ready to launch: Django's deployment checks and the clinic's launch checks found "
        "nothing to fix.\n",
    )


def test_a_complete_configuration_without_published_guides_is_ready(production):
    assert launch_check()[0] == 0


def test_a_guide_changed_after_its_review_holds_the_launch(shipped_guides, production):
    sign_off(shipped_guides)
    changed = shipped_guides[0]
    Guide.objects.filter(pk=changed.pk).update(body=f"{changed.body}\n\nA new paragraph.")
    status, output = launch_check()
    assert status == 1
    [line] = [line for line in output.splitlines() if line.startswith("cardinal.L009")]
    assert f"guide {changed.slug} has no current medical review (changed since review)" in line
    assert output.strip().endswith("Not ready to launch: 1 problem above.")


def test_a_database_it_cannot_read_is_named_not_a_traceback(monkeypatch):
    def unreachable(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(launch, "problems", unreachable)
    status, output = launch_check()
    assert status == 1
    assert "The database could not be read (OperationalError): check DATABASE_URL" in output


@pytest.mark.parametrize(
    ("number", "fictional"),
    [
        ("(202) 555-0100", True),
        ("+1 415 555 0199", True),
        ("(202) 555-0200", False),
        ("(202) 730-4100", False),
    ],
)
def test_only_the_numbers_set_aside_for_fiction_count_as_fictional(number, fictional, settings):
    settings.HELPLINE_PHONE = number
    messages = launch.helpline()
    assert bool(messages) is fictional
    assert all("fictional" in message.msg for message in messages)


def test_a_helpline_that_is_no_phone_number_is_reported(settings):
    settings.HELPLINE_PHONE = "call us"
    [message] = launch.helpline()
    assert message.msg == 'HELPLINE_PHONE "call us" is not a phone number anyone can call.'


@pytest.mark.parametrize(
    ("site_url", "ids"),
    [
        ("https://care.cardinal-recovery.org", set()),
        ("http://care.cardinal-recovery.org", {"cardinal.L004"}),
        ("https://localhost:8443", {"cardinal.L005"}),
        ("https://127.0.0.2", {"cardinal.L005"}),
        ("https://[::1]:8000", {"cardinal.L005"}),
        ("https://www.example.org", {"cardinal.L005"}),
        ("https://cardinal.example", {"cardinal.L005"}),
        ("http://0.0.0.0:8000", {"cardinal.L004", "cardinal.L005"}),
    ],
)
def test_site_url_must_be_https_and_public(site_url, ids, settings):
    settings.SITE_URL = site_url
    assert {message.id for message in launch.public_address()} == ids


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("on-call@cardinal-recovery.org", None),
        ("", "is empty"),
        ("on-call", "is not an email address"),
        ("on-call@localhost", "is at a local or example domain"),
        ("oncall@example.com", "is at a local or example domain"),
        ("oncall@clinic.test", "is at a local or example domain"),
    ],
)
def test_the_on_call_address_must_reach_someone(address, problem, settings):
    settings.ADMISSIONS_ONCALL_EMAIL = address
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "no-reply@cardinal-recovery.org"
    messages = launch.staff_mail()
    if problem is None:
        assert messages == []
    else:
        [message] = messages
        assert message.id == "cardinal.L006" and problem in message.msg
