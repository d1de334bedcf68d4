"""Enrolling a second factor: only with a one-time, expiring link an administrator
issues; the owner is mailed; recovery codes are shown once and work once each."""

import io
import re
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_otp.oath import TOTP

from cardinal.staff import services
from cardinal.staff.models import EnrolmentLink, RecoveryCode, StaffTOTPDevice
from tests.factories import STAFF_PASSWORD, make_user

pytestmark = pytest.mark.django_db

SETUP = "/staff/two-factor/setup/"
VERIFY = "/staff/two-factor/verify/"
CODE_PATTERN = re.compile(r"\b[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}\b")


@pytest.fixture(autouse=True)
def two_factor_on(settings):
    settings.STAFF_REQUIRE_2FA = True


@pytest.fixture
def nora():
    return make_user("nora", email="nora@cardinal.example")


def sign_in(client, username="nora"):
    response = client.post(
        "/admin/login/", {"username": username, "password": STAFF_PASSWORD}, REMOTE_ADDR="10.0.0.5"
    )
    assert response.status_code == 302, "the password was refused"


def path_of(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8000")


def current_code(device: StaffTOTPDevice, offset_steps: int = 0) -> str:
    """The app's code now, or `offset_steps` time steps from now."""
    generator = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    generator.time = time.time() + offset_steps * device.step
    return str(generator.token()).zfill(device.digits)


def enrol(client, user, django_capture_on_commit_callbacks) -> tuple[StaffTOTPDevice, list[str]]:
    """Open a new link as `user` (signed in), confirm the app; the codes shown."""
    assert client.get(path_of(services.enrolment_link_issue(user=user))).status_code == 302
    assert client.get(SETUP).status_code == 200
    device = StaffTOTPDevice.objects.get(user=user, confirmed=False)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(SETUP, {"token": current_code(device)})
    assert done.status_code == 200
    return device, CODE_PATTERN.findall(done.content.decode())


def test_create_staff_prints_a_link_that_enrols_the_new_account(
    client, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    monkeypatch.setenv("DJANGO_STAFF_PASSWORD", STAFF_PASSWORD)
    out = io.StringIO()
    call_command(
        "create_staff",
        "--username=ana",
        "--email=ana@example.org",
        "--group=Navigators",
        "--noinput",
        stdout=out,
    )
    url = re.search(r"http://\S+", out.getvalue()).group()
    assert url.startswith("http://127.0.0.1:8000/staff/two-factor/enrol/?token=")

    # Opened before signing in: the link is kept in the session, the token leaves the URL.
    opened = client.get(path_of(url))
    assert opened.status_code == 302
    assert opened["Location"] == "/admin/login/?next=/staff/two-factor/setup/"
    sign_in(client, "ana")
    page = client.get(SETUP)
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    device = StaffTOTPDevice.objects.get(user__username="ana", confirmed=False)
    assert device.base32_key in page.content.decode()  # for typing in by hand

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(SETUP, {"token": current_code(device)})
    assert done.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ana@example.org"]
    assert mailoutbox[0].subject == "A new authenticator was added to your account"


def test_the_password_alone_cannot_enrol_a_device(client, nora):
    sign_in(client)
    assert client.get("/admin/")["Location"] == SETUP
    page = client.get(SETUP)
    assert page.status_code == 403
    content = page.content.decode()
    assert "Ask an administrator for an enrolment link" in content
    assert "two-factor__qr" not in content and "otpauth" not in content  # no QR code, no key
    assert client.post(SETUP, {"token": "123456"}).status_code == 403
    assert not StaffTOTPDevice.objects.exists()
    assert client.get("/admin/")["Location"] == SETUP


def test_a_link_enrols_one_device_once(client, nora, django_capture_on_commit_callbacks):
    url = services.enrolment_link_issue(user=nora)
    sign_in(client)
    client.get(path_of(url))
    client.get(SETUP)
    device = StaffTOTPDevice.objects.get(user=nora, confirmed=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(SETUP, {"token": current_code(device)}).status_code == 200
    assert EnrolmentLink.objects.get(user=nora).used_at is not None

    # The same link again, in a new session of the same person: refused.
    other = client.__class__()
    sign_in(other)
    again = other.get(path_of(url))
    assert again.status_code == 404
    assert "does not work" in again.content.decode()
    assert other.get(SETUP)["Location"] == VERIFY
    assert StaffTOTPDevice.objects.filter(user=nora).count() == 1


def test_each_link_shows_a_new_key(client, nora):
    sign_in(client)
    client.get(path_of(services.enrolment_link_issue(user=nora)))
    first = client.get(SETUP).context["secret"]
    assert client.get(SETUP).context["secret"] == first  # the same key until it is used
    client.get(path_of(services.enrolment_link_issue(user=nora)))
    assert client.get(SETUP).context["secret"] != first
    assert StaffTOTPDevice.objects.filter(user=nora).count() == 1


def test_a_link_expires(client, nora, settings, monkeypatch):
    settings.STAFF_ENROLMENT_LINK_HOURS = 72
    url = services.enrolment_link_issue(user=nora)
    later = timezone.now() + timedelta(hours=72, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert client.get(path_of(url)).status_code == 404


def test_a_link_opened_before_it_expired_does_not_enrol_after(client, nora):
    url = services.enrolment_link_issue(user=nora)
    sign_in(client)
    client.get(path_of(url))
    assert client.get(SETUP).status_code == 200
    device = StaffTOTPDevice.objects.get(user=nora, confirmed=False)
    EnrolmentLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(SETUP, {"token": current_code(device)}).status_code == 403
    assert not StaffTOTPDevice.objects.filter(confirmed=True).exists()


def test_a_new_link_replaces_an_unused_one(client, nora):
    first = services.enrolment_link_issue(user=nora)
    second = services.enrolment_link_issue(user=nora)
    assert client.get(path_of(first)).status_code == 404
    assert client.get(path_of(second)).status_code == 302


def test_a_link_for_someone_else_is_refused(client, nora):
    make_user("bob")
    url = services.enrolment_link_issue(user=nora)
    sign_in(client, "bob")
    response = client.get(path_of(url))
    assert response.status_code == 403
    assert "for another account" in response.content.decode()
    assert client.get(SETUP).status_code == 403  # bob gained nothing


def test_a_link_claimed_before_signing_in_as_someone_else_enrols_nobody(client, nora):
    make_user("bob")
    client.get(path_of(services.enrolment_link_issue(user=nora)))  # kept in the session
    sign_in(client, "bob")
    assert client.get(SETUP).status_code == 403
    assert not StaffTOTPDevice.objects.exists()


def test_the_link_is_stored_only_as_a_hash(nora):
    url = services.enrolment_link_issue(user=nora)
    token = url.split("token=")[1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT token_hash FROM staff_enrolmentlink")
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert token not in rows[0][0]


def test_the_owner_is_mailed_once_with_no_secret(
    client, nora, mailoutbox, django_capture_on_commit_callbacks
):
    sign_in(client)
    device, codes = enrol(client, nora, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["nora@cardinal.example"]
    assert mail.subject == "A new authenticator was added to your account"
    assert "tell an administrator" in mail.body
    device.refresh_from_db()
    for secret in [device.base32_key, device.bin_key.hex(), *codes]:
        assert secret not in mail.body
    services.device_enrolled_notify(device_id=device.pk)  # a second delivery of the task
    assert len(mailoutbox) == 1


def test_ten_recovery_codes_are_shown_once_and_each_works_once(
    client, nora, django_capture_on_commit_callbacks
):
    sign_in(client)
    _, codes = enrol(client, nora, django_capture_on_commit_callbacks)
    assert len(set(codes)) == 10
    assert RecoveryCode.objects.filter(device__user=nora).count() == 10

    later = client.__class__()
    sign_in(later)
    assert later.get("/admin/")["Location"] == VERIFY
    assert later.post(VERIFY, {"token": codes[0].upper()})["Location"] == "/admin/"
    assert later.get("/admin/").status_code == 200
    assert RecoveryCode.objects.filter(device__user=nora).count() == 9

    again = client.__class__()
    sign_in(again)
    assert again.post(VERIFY, {"token": codes[0]}).status_code == 200  # used up
    assert again.get("/admin/")["Location"] == VERIFY


def test_a_code_typed_with_a_space_in_it_signs_in(client, nora):
    device = StaffTOTPDevice.objects.create(user=nora, name="phone", confirmed=True)
    sign_in(client)
    code = current_code(device)
    assert client.post(VERIFY, {"token": f"{code[:3]} {code[3:]}"})["Location"] == "/admin/"


def test_recovery_codes_are_stored_only_as_hashes(client, nora, django_capture_on_commit_callbacks):
    sign_in(client)
    _, codes = enrol(client, nora, django_capture_on_commit_callbacks)
    with connection.cursor() as cursor:
        cursor.execute("SELECT code_hash FROM staff_recoverycode")
        stored = " ".join(row[0] for row in cursor.fetchall())
    for code in codes:
        assert code not in stored and code.replace("-", "") not in stored


def test_a_new_link_replaces_a_lost_phone(client, nora, django_capture_on_commit_callbacks):
    sign_in(client)
    old, old_codes = enrol(client, nora, django_capture_on_commit_callbacks)
    old.refresh_from_db()
    old_code = current_code(old, offset_steps=1)

    phone_lost = client.__class__()
    sign_in(phone_lost)
    assert phone_lost.get(SETUP)["Location"] == VERIFY  # no link yet: no new phone
    new, new_codes = enrol(phone_lost, nora, django_capture_on_commit_callbacks)
    assert list(StaffTOTPDevice.objects.filter(user=nora)) == [new]
    assert set(old_codes).isdisjoint(new_codes)

    after = client.__class__()
    sign_in(after)
    assert after.post(VERIFY, {"token": old_code}).status_code == 200  # the old phone: refused
    assert after.post(VERIFY, {"token": old_codes[1]}).status_code == 200  # old codes too
    assert after.get("/admin/")["Location"] == VERIFY


def test_staff_enrolment_link_command_issues_a_link(nora, settings):
    settings.STAFF_ENROLMENT_LINK_HOURS = 48
    out = io.StringIO()
    call_command("staff_enrolment_link", "nora", stdout=out)
    assert "/staff/two-factor/enrol/?token=" in out.getvalue()
    assert "48 hours" in out.getvalue()
    link = EnrolmentLink.objects.get(user=nora)
    assert timedelta(hours=47) < link.expires_at - timezone.now() <= timedelta(hours=48)


def test_staff_enrolment_link_command_names_an_unknown_account():
    with pytest.raises(CommandError, match="No staff account 'nobody'"):
        call_command("staff_enrolment_link", "nobody", stdout=io.StringIO())


# --- Codes tried too fast -----------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """django-otp's clock (timezone.now), held still until moved on; the codes of
    the app follow the real clock."""
    moment = [timezone.now()]
    monkeypatch.setattr(timezone, "now", lambda: moment[0])

    def move_on(seconds: float) -> None:
        moment[0] += timedelta(seconds=seconds)

    return move_on


def test_the_setup_page_says_a_code_sent_too_soon_after_a_wrong_one_was_not_checked(
    client, nora, clock
):
    sign_in(client)
    client.get(path_of(services.enrolment_link_issue(user=nora)))
    client.get(SETUP)
    device = StaffTOTPDevice.objects.get(user=nora, confirmed=False)
    wrong = client.post(SETUP, {"token": "000000"}).content.decode()
    assert "That code did not match. Check the time on your phone and try again." in wrong

    too_soon = client.post(SETUP, {"token": current_code(device)}).content.decode()
    assert (
        "Codes were tried too fast after a wrong one, so this one was not checked. "
        "Wait 1 second, then type the code your app shows now."
    ) in too_soon
    device.refresh_from_db()
    assert not device.confirmed

    clock(1)
    done = client.post(SETUP, {"token": current_code(device)})
    assert "Your recovery codes" in done.content.decode()
    device.refresh_from_db()
    assert device.confirmed


def test_the_sign_in_code_page_says_how_long_to_wait_after_wrong_codes(client, nora, clock):
    device = StaffTOTPDevice.objects.create(user=nora, name="phone", confirmed=True)
    sign_in(client)
    assert "That code did not match." in client.post(VERIFY, {"token": "000000"}).text
    clock(1)
    client.post(VERIFY, {"token": "000000"})  # the second wrong code: a 2-second wait
    too_soon = client.post(VERIFY, {"token": current_code(device)})
    assert too_soon.status_code == 200
    assert "Wait 2 seconds, then type the code your app shows now." in too_soon.text
    clock(2)
    assert client.post(VERIFY, {"token": current_code(device)})["Location"] == "/admin/"
