"""Staff accounts: lockout, two-factor sign-in, idle sessions, password rules."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.cardinal.helpers import PRODUCTION_SECRETS, settings_from_env

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def staff_user():
    return get_user_model().objects.create_user(
        "navigator", "nav@example.org", PASSWORD, is_staff=True
    )


def _login(client, password):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "navigator", "password": password},
        REMOTE_ADDR="10.0.0.5",
    )


def _current_code(device: TOTPDevice) -> str:
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return str(code).zfill(device.digits)


def _reset_throttle(device: TOTPDevice) -> None:
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


def test_staff_without_a_device_must_enrol_before_the_admin(client, staff_user, settings):
    settings.STAFF_REQUIRE_2FA = True
    _login(client, PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/two-factor/setup/"

    page = client.get("/staff/two-factor/setup/")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=staff_user)
    assert not device.confirmed

    wrong = client.post("/staff/two-factor/setup/", {"token": "000000"})
    assert wrong.status_code == 200
    assert client.get("/admin/").status_code == 302

    _reset_throttle(device)
    done = client.post("/staff/two-factor/setup/", {"token": _current_code(device)})
    assert done["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200


def test_enrolled_staff_enter_a_code_at_each_sign_in(client, staff_user, settings):
    settings.STAFF_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=staff_user, name="phone", confirmed=True)
    _login(client, PASSWORD)
    assert client.get("/admin/")["Location"] == "/staff/two-factor/verify/"
    assert client.post("/staff/two-factor/verify/", {"token": "123456"}).status_code == 200
    _reset_throttle(device)
    response = client.post("/staff/two-factor/verify/", {"token": _current_code(device)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_with_debug_off_staff_without_a_device_must_enrol_by_default(client, staff_user, settings):
    production = settings_from_env(DJANGO_DEBUG="0", **PRODUCTION_SECRETS)
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


def test_weak_passwords_are_refused():
    for weak in ["password123", "12345678901234", "short"]:
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password(PASSWORD)
