"""Staff accounts: lockout, two-factor sign-in, idle and absolute session
lifetimes, the device admin, password rules."""

import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from django_otp.oath import totp

from cardinal.staff.models import StaffTOTPDevice
from cardinal.staff.services import enrolment_link_issue
from tests.cardinal.helpers import PRODUCTION_SECRETS, settings_from_env

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def staff_user():
    return get_user_model().objects.create_user(
        "navigator", "nav@example.org", PASSWORD, is_staff=True
    )


def _login(client, password, address="10.0.0.5", username="navigator"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def _current_code(device: StaffTOTPDevice) -> str:
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return str(code).zfill(device.digits)


def _open_link(client, url: str):
    """Follow an enrolment link as its owner's browser would."""
    return client.get(url.removeprefix("http://127.0.0.1:8000"))


def _reset_throttle(device: StaffTOTPDevice) -> None:
    """A wrong code makes django-otp wait before the next try; skip the wait."""
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    device.throttle_reset()


def test_repeated_failed_logins_lock_the_account(client, staff_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        _login(client, "wrong password")
    response = _login(client, PASSWORD)
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_correct_password_signs_in_before_the_limit(client, staff_user):
    _login(client, "wrong password")
    response = _login(client, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff_user.pk)


def test_guessing_from_many_addresses_locks_the_username(client, staff_user, settings):
    settings.STAFF_USERNAME_FAILURE_LIMIT = 4
    for number in range(3):  # one guess from each address: none nears its own limit (5)
        assert _login(client, "wrong password", f"203.0.113.{number}").status_code == 200
    assert _login(client, "wrong password", "203.0.113.3").status_code == 429  # the 4th
    response = _login(client, PASSWORD, "198.51.100.9")  # the owner, from elsewhere
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_username_limit_counts_failures_from_every_address_together(
    client, staff_user, settings
):
    settings.STAFF_USERNAME_FAILURE_LIMIT = 4
    _login(client, "wrong password", "203.0.113.1")
    _login(client, "wrong password", "203.0.113.1")
    _login(client, "wrong password", "203.0.113.2")
    assert _login(client, PASSWORD, "198.51.100.9").status_code == 302  # 3 of 4: still open
    _login(client, "wrong password", "203.0.113.2")  # the owner's success reset only theirs
    assert _login(client, PASSWORD, "198.51.100.9").status_code == 429


def test_a_username_lockout_leaves_other_accounts_alone(client, staff_user, settings):
    settings.STAFF_USERNAME_FAILURE_LIMIT = 4
    get_user_model().objects.create_user("editor", "ed@example.org", PASSWORD, is_staff=True)
    for number in range(4):
        _login(client, "wrong password", f"203.0.113.{number}")
    response = _login(client, PASSWORD, "203.0.113.1", username="editor")
    assert response.status_code == 302


def test_the_username_lockout_ends_with_the_cool_off(client, staff_user, settings):
    settings.STAFF_USERNAME_FAILURE_LIMIT = 4
    for number in range(4):
        _login(client, "wrong password", f"203.0.113.{number}")
    assert _login(client, PASSWORD, "198.51.100.9").status_code == 429
    long_ago = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    AccessAttempt.objects.update(attempt_time=long_ago)
    assert _login(client, PASSWORD, "198.51.100.9").status_code == 302


def test_an_administrator_unlocks_a_locked_username(client, staff_user, settings):
    settings.STAFF_USERNAME_FAILURE_LIMIT = 4
    for number in range(4):
        _login(client, "wrong password", f"203.0.113.{number}")
    assert _login(client, PASSWORD, "198.51.100.9").status_code == 429
    call_command("axes_reset_username", "navigator", stdout=io.StringIO())
    assert _login(client, PASSWORD, "198.51.100.9").status_code == 302


def test_staff_without_a_device_must_enrol_before_the_admin(client, staff_user, settings):
    settings.STAFF_REQUIRE_2FA = True
    _login(client, PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/two-factor/setup/"

    # The password alone does not enrol a device (tests/cardinal/test_enrolment.py).
    refused = client.get("/staff/two-factor/setup/")
    assert refused.status_code == 403
    assert "Ask an administrator for an enrolment link" in refused.content.decode()
    assert not StaffTOTPDevice.objects.exists()

    assert _open_link(client, enrolment_link_issue(user=staff_user))["Location"] == (
        "/staff/two-factor/setup/"
    )
    page = client.get("/staff/two-factor/setup/")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    device = StaffTOTPDevice.objects.get(user=staff_user)
    assert not device.confirmed

    wrong = client.post("/staff/two-factor/setup/", {"token": "000000"})
    assert wrong.status_code == 200
    assert client.get("/admin/").status_code == 302

    _reset_throttle(device)
    done = client.post("/staff/two-factor/setup/", {"token": _current_code(device)})
    assert done.status_code == 200
    assert 'href="/admin/"' in done.content.decode()  # on, past the recovery codes
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200


def test_enrolled_staff_enter_a_code_at_each_sign_in(client, staff_user, settings):
    settings.STAFF_REQUIRE_2FA = True
    device = StaffTOTPDevice.objects.create(user=staff_user, name="phone", confirmed=True)
    _login(client, PASSWORD)
    assert client.get("/admin/")["Location"] == "/staff/two-factor/verify/"
    assert client.post("/staff/two-factor/verify/", {"token": "123456"}).status_code == 200
    _reset_throttle(device)
    response = client.post("/staff/two-factor/verify/", {"token": _current_code(device)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("debug", [{"DJANGO_DEBUG": "0"}, {}], ids=["debug-off", "debug-unset"])
def test_with_debug_off_staff_without_a_device_must_enrol_by_default(
    client, staff_user, settings, debug
):
    production = settings_from_env(**debug, **PRODUCTION_SECRETS)
    settings.STAFF_REQUIRE_2FA = production["STAFF_REQUIRE_2FA"]
    _login(client, PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/two-factor/setup/"


def test_with_debug_on_staff_reach_the_admin_with_a_password_by_default(
    client, staff_user, settings
):
    local = settings_from_env(DJANGO_DEBUG="1")  # the embedded defaults, as `make run` has them
    settings.STAFF_REQUIRE_2FA = local["STAFF_REQUIRE_2FA"]
    _login(client, PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_idle_staff_session_expires_and_each_request_moves_the_expiry_on(
    client, staff_user, settings, monkeypatch
):
    signed_in = timezone.now()
    idle_limit = timedelta(seconds=settings.SESSION_COOKIE_AGE)

    def clock_at(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    _login(client, PASSWORD)
    assert client.get("/admin/").status_code == 200
    clock_at(signed_in + idle_limit * 0.75)
    assert client.get("/admin/").status_code == 200
    clock_at(signed_in + idle_limit * 1.5)  # past one age since sign-in, not since the last visit
    assert client.get("/admin/").status_code == 200
    clock_at(signed_in + idle_limit * 2.6)  # idle for longer than one age
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_busy_staff_session_ends_at_its_absolute_lifetime(
    client, staff_user, settings, monkeypatch
):
    settings.STAFF_SESSION_MAX_HOURS = 12
    signed_in = timezone.now()
    step = timedelta(seconds=settings.SESSION_COOKIE_AGE) / 2  # never idle for long

    def clock_at(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    _login(client, PASSWORD)
    moment = signed_in
    while moment + step < signed_in + timedelta(hours=12):
        moment += step
        clock_at(moment)
        assert client.get("/admin/").status_code == 200, moment - signed_in
    clock_at(signed_in + timedelta(hours=12, seconds=1))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "_auth_user_id" not in client.session


def test_signing_in_again_starts_a_new_lifetime(client, staff_user, settings, monkeypatch):
    settings.STAFF_SESSION_MAX_HOURS = 1
    first = timezone.now()
    _login(client, PASSWORD)
    monkeypatch.setattr(timezone, "now", lambda: first + timedelta(minutes=50))
    client.post("/admin/logout/")
    _login(client, PASSWORD)
    monkeypatch.setattr(timezone, "now", lambda: first + timedelta(minutes=70))
    assert client.get("/admin/").status_code == 200  # 70 minutes after the first sign-in


def test_a_signed_in_session_without_a_sign_in_time_is_ended(client, staff_user):
    _login(client, PASSWORD)
    session = client.session
    del session["staff_signed_in_at"]  # a session from before the absolute lifetime
    session.save()
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("next_url", ["//evil.example/", "https://evil.example/"])
def test_an_unsafe_next_address_after_sign_in_leads_to_the_admin(client, staff_user, next_url):
    response = client.post(
        f"/admin/login/?next={next_url}",
        {"username": "navigator", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.5",
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_device_admin_shows_no_seed_and_only_views_and_deletes(client, staff_user):
    root = get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    device = StaffTOTPDevice.objects.create(user=staff_user, name="phone", confirmed=True)
    client.force_login(root)
    base = "/admin/staff/stafftotpdevice/"

    listing = client.get(base)
    assert listing.status_code == 200
    assert "navigator" in listing.content.decode()
    page = client.get(f"{base}{device.pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "phone" in content
    for secret in (device.base32_key, device.bin_key.hex(), device.encrypted_key):
        assert secret not in content
    assert "otpauth" not in content and "qrcode" not in content.lower()
    assert 'name="_save"' not in content  # read-only

    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}{device.pk}/change/", {"name": "mine now"}).status_code == 403
    device.refresh_from_db()
    assert device.name == "phone"

    # django-otp's own TOTP admin, with its QR code and config views, is gone.
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_totp/totpdevice/1/config/").status_code == 404

    deleted = client.post(f"{base}{device.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not StaffTOTPDevice.objects.filter(pk=device.pk).exists()


def test_weak_passwords_are_refused():
    for weak in ["password123", "12345678901234", "short"]:
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password(PASSWORD)
