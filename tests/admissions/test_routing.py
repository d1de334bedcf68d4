"""Who is told of a new intake (services.intake_notify): a navigator on duty while
admissions is open, otherwise the on-call inbox and the Admissions supervisors,
never nobody; and the duty state routing follows: the switch on every admin page,
auto-away, sign-out, the repeat contact's navigator."""

import re
from datetime import datetime, timedelta
from smtplib import SMTPServerDisconnected
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from admissions import services
from admissions.models import Intake, IntakeActivity, NavigatorState
from admissions.roles import NAVIGATORS_GROUP, SUPERVISORS_GROUP
from cardinal.staff.session_lifetime import SIGNED_IN_AT_KEY
from tests.admissions.helpers import PERSONAL, PHONE_E164, change_url, form_data, on_duty
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_off")]

NY = ZoneInfo("America/New_York")
HOURS = "mon-fri 08:00-20:00"
TUESDAY_NOON = datetime(2026, 12, 1, 12, 0, tzinfo=NY)  # open
TUESDAY_3AM = datetime(2026, 12, 1, 3, 0, tzinfo=NY)  # closed: opens at 8 am
ONCALL = "on-call@cardinal.example"
ONCALL_KINDS = [IntakeActivity.Kind.ONCALL_CLOSED, IntakeActivity.Kind.ONCALL_NOBODY]
DUTY = "/admin/duty/"
ADMIN = "/admin/"


@pytest.fixture
def routing(settings):
    """A known on-call inbox and staff link origin (admissions is open around the
    clock, as everywhere in the suite, unless a test sets `hours`)."""
    settings.ADMISSIONS_ONCALL_EMAIL = ONCALL
    settings.ADMISSIONS_AWAY_AFTER_MINUTES = 30
    settings.SITE_URL = "https://staff.example.org"


@pytest.fixture
def hours(settings):
    """Weekday hours, for a test that sets the clock (open at TUESDAY_NOON only)."""
    settings.ADMISSIONS_HOURS = HOURS
    settings.ADMISSIONS_CLOSED_DATES = ""


@pytest.fixture
def clock(monkeypatch):
    """Set the clock the services read (timezone.now)."""

    def set_clock(moment: datetime) -> datetime:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return set_clock


def phone(n: int) -> str:
    """A distinct E.164 number per person."""
    return f"+1415555{n:04d}"


def notify(intake: Intake) -> Intake:
    assert services.intake_notify(intake_id=intake.pk) is True
    intake.refresh_from_db()
    return intake


def oncall_kinds(intake: Intake) -> list[str]:
    return list(intake.activities.filter(kind__in=ONCALL_KINDS).values_list("kind", flat=True))


def assert_no_personal_data(mail) -> None:
    for value in [*PERSONAL.values(), PHONE_E164]:
        assert value not in mail.subject + mail.body, value


# --- Never dropped: every combination ----------------------------------------------------


@pytest.mark.parametrize("staff", ["available", "away", "no staff at all"])
@pytest.mark.parametrize("moment", [TUESDAY_NOON, TUESDAY_3AM], ids=["open", "closed"])
def test_every_intake_reaches_a_navigator_on_duty_or_the_oncall_inbox(
    routing, hours, clock, make_intake, mailoutbox, moment, staff
):
    clock(moment)
    if staff != "no staff at all":
        nora = make_user("nora", NAVIGATORS_GROUP)
        supervisor = make_user("sam", SUPERVISORS_GROUP)
        on_duty(nora)
        if staff == "away":
            services.navigator_set_available(user=nora, available=False)
    intake = notify(make_intake())

    [mail] = mailoutbox
    assert intake.notified_at == moment
    assert intake.reference in mail.subject and intake.admin_url() in mail.body
    assert_no_personal_data(mail)
    if moment == TUESDAY_NOON and staff == "available":
        assert intake.assigned_to == nora and mail.to == [nora.email]
        assert mail.subject == f"Intake {intake.reference} waiting"
        assert oncall_kinds(intake) == []
        return
    # Nobody on duty to take it: the on-call inbox (and the supervisors) are told.
    assert intake.assigned_to is None
    if staff == "no staff at all":
        assert mail.to == [ONCALL]
    else:
        assert mail.to == [ONCALL, supervisor.email]
    if moment == TUESDAY_NOON:
        assert mail.subject == f"Intake {intake.reference} waiting: nobody on duty"
        assert "nobody was on duty" in mail.body and "no navigator is marked available" in mail.body
        assert oncall_kinds(intake) == ["oncall_nobody"]
    else:
        assert mail.subject == f"Intake {intake.reference} waiting: admissions is closed"
        assert "nobody was on duty" in mail.body and "admissions is closed" in mail.body
        assert "Admissions opens again at 8 am today (Eastern Time)." in mail.body
        assert oncall_kinds(intake) == ["oncall_closed"]


def test_the_navigators_mail_asks_for_a_call_within_minutes_unless_a_later_time_was_chosen(
    routing, hours, clock, settings, make_intake, mailoutbox
):
    settings.ADMISSIONS_CALLBACK_MINUTES = 15
    clock(TUESDAY_NOON)
    on_duty(make_user("nora", NAVIGATORS_GROUP))
    notify(make_intake(best_time="evening", phone=phone(1)))  # call after 5 pm
    notify(make_intake(best_time="any", phone=phone(2)))
    later, now = mailoutbox
    assert "The person asked to be called later: the intake page shows from when." in later.body
    assert "within" not in later.body
    assert "Please call within 15 minutes." in now.body


def test_a_navigator_available_but_not_seen_for_too_long_is_not_given_the_intake(
    routing, make_intake, mailoutbox
):
    nora = make_user("nora", NAVIGATORS_GROUP)
    on_duty(nora, timezone.now() - timedelta(minutes=31))
    intake = notify(make_intake())
    assert intake.assigned_to is None
    assert [mail.to for mail in mailoutbox] == [[ONCALL]]
    assert oncall_kinds(intake) == ["oncall_nobody"]


def test_with_nobody_at_all_to_tell_the_intake_waits_for_the_sweep(
    routing, settings, make_intake, mailoutbox, caplog
):
    settings.ADMISSIONS_ONCALL_EMAIL = ""  # and no supervisor
    make_user("sue", SUPERVISORS_GROUP, email="")
    intake = make_intake()
    assert services.intake_notify(intake_id=intake.pk) is False
    intake.refresh_from_db()
    assert intake.notified_at is None and oncall_kinds(intake) == []
    assert mailoutbox == []
    assert f"intake {intake.pk}: nobody on duty, and no on-call address" in caplog.text


def test_oncall_mail_goes_once_to_each_address_and_to_active_supervisors_only(
    routing, settings, make_intake, mailoutbox
):
    first = make_user("sam", SUPERVISORS_GROUP)
    make_user("sue", SUPERVISORS_GROUP, is_active=False)
    make_user("sid", SUPERVISORS_GROUP, email="")
    settings.ADMISSIONS_ONCALL_EMAIL = first.email  # the supervisor holds the on-call phone
    notify(make_intake())
    [mail] = mailoutbox
    assert mail.to == [first.email]


def test_oncall_notification_is_sent_once_however_often_the_task_runs(
    routing, make_intake, mailoutbox
):
    intake = make_intake()
    notify(intake)
    assert services.intake_notify(intake_id=intake.pk) is False
    assert len(mailoutbox) == 1
    assert oncall_kinds(intake) == ["oncall_nobody"]


def test_oncall_mail_error_rolls_back_the_timeline_entry_too(routing, make_intake, monkeypatch):
    intake = make_intake()

    def smtp_down(*args, **kwargs):
        raise SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(services, "send_mail", smtp_down)
    with pytest.raises(SMTPServerDisconnected):
        services.intake_notify(intake_id=intake.pk)
    intake.refresh_from_db()
    assert intake.notified_at is None and oncall_kinds(intake) == []


def test_the_timeline_shows_navigators_that_the_oncall_inbox_was_told(routing, client, make_intake):
    intake = notify(make_intake())
    olga = make_user("olga", NAVIGATORS_GROUP)  # cannot see this intake's notes or details
    client.force_login(olga)
    html = client.get(change_url(intake)).content.decode()
    assert "On-call told: nobody on duty" in html
    assert PERSONAL["first_name"] not in html


def test_staff_cannot_log_an_oncall_entry_by_hand(routing, make_intake, navigator):
    intake = make_intake()
    for kind in [*ONCALL_KINDS, IntakeActivity.Kind.STATUS_CHANGE]:
        with pytest.raises(ValueError, match="recorded by the services"):
            services.intake_log_activity(intake=intake, author=navigator, kind=kind)


def test_embedded_defaults_tell_the_default_oncall_inbox_with_no_staff_at_all(
    client, no_fill_time, mailoutbox, django_capture_on_commit_callbacks
):
    """`make run` with no staff account: the form's intake is mailed (to the console
    there) to the default on-call address, with its reference."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admissions/", form_data(client))
    assert response.status_code == 302
    intake = Intake.objects.get()
    [mail] = mailoutbox
    assert mail.to == ["on-call@localhost"]
    assert intake.reference in mail.subject and intake.admin_url() in mail.body
    assert_no_personal_data(mail)


# --- Round robin among those on duty ------------------------------------------------------


def test_navigators_on_duty_take_turns_and_no_one_else_is_given_intakes(
    routing, make_intake, mailoutbox
):
    ana = make_user("ana", NAVIGATORS_GROUP)
    ben = make_user("ben", NAVIGATORS_GROUP)
    for user in (ana, ben):
        on_duty(user)
    away = make_user("carl", NAVIGATORS_GROUP)
    on_duty(away)
    services.navigator_set_available(user=away, available=False)
    stale = make_user("dora", NAVIGATORS_GROUP)
    on_duty(stale, timezone.now() - timedelta(minutes=45))
    for name, extra in [("gone", {"is_active": False}), ("nomail", {"email": ""})]:
        on_duty(make_user(name, NAVIGATORS_GROUP, **extra))
    outsider = make_user("outsider")  # staff, no longer a navigator, once on duty
    on_duty(outsider)

    assignees = [notify(make_intake(phone=phone(n))).assigned_to.username for n in range(4)]
    assert assignees == ["ana", "ben", "ana", "ben"]
    assert {mail.to[0] for mail in mailoutbox} == {ana.email, ben.email}


def test_the_same_persons_navigator_is_preferred_while_on_duty(routing, make_intake):
    ana = make_user("ana", NAVIGATORS_GROUP)
    ben = make_user("ben", NAVIGATORS_GROUP)
    for user in (ana, ben):
        on_duty(user)
    first = notify(make_intake(phone=phone(1)))
    assert first.assigned_to == ana
    assert notify(make_intake(phone=phone(2))).assigned_to == ben
    assert notify(make_intake(phone=phone(3))).assigned_to == ana
    # Round robin would now pick ben; the person of the first intake writes again.
    again = notify(make_intake(phone=phone(1)))
    assert again.assigned_to == ana
    # Their navigator away: round robin decides.
    services.navigator_set_available(user=ana, available=False)
    assert notify(make_intake(phone=phone(1))).assigned_to == ben


def test_the_last_intake_with_a_navigator_decides_not_an_older_one(routing, make_intake):
    ana = make_user("ana", NAVIGATORS_GROUP)
    ben = make_user("ben", NAVIGATORS_GROUP)
    for user in (ana, ben):
        on_duty(user)
    assert notify(make_intake(phone=phone(1))).assigned_to == ana
    later = make_intake(phone=phone(1))
    services.intake_assign(intake=later, navigator=ben)  # a supervisor gave it to ben
    notify(later)
    assert notify(make_intake(phone=phone(2))).assigned_to == ana  # round robin
    assert notify(make_intake(phone=phone(3))).assigned_to == ben
    # Round robin would pick ana, who had the person's first intake; ben had the last.
    assert notify(make_intake(phone=phone(1))).assigned_to == ben


def test_the_repeat_contact_is_found_under_the_old_hash_key_too(routing, settings, make_intake):
    old, new = "o" * 40, "n" * 40
    settings.FIELD_HASH_KEY = old
    ana = make_user("ana", NAVIGATORS_GROUP)
    ben = make_user("ben", NAVIGATORS_GROUP)
    for user in (ana, ben):
        on_duty(user)
    assert notify(make_intake(phone=phone(1))).assigned_to == ana
    settings.FIELD_HASH_KEY = f"{new},{old}"  # rotated; the phones not hashed again yet
    assert notify(make_intake(phone=phone(2))).assigned_to == ben
    assert notify(make_intake(phone=phone(3))).assigned_to == ana
    assert notify(make_intake(phone=phone(1))).assigned_to == ana  # round robin: ben


def test_a_repeat_contact_while_closed_still_goes_to_the_oncall_inbox(
    routing, hours, clock, make_intake, mailoutbox
):
    clock(TUESDAY_NOON)
    ana = make_user("ana", NAVIGATORS_GROUP)
    on_duty(ana)
    assert notify(make_intake()).assigned_to == ana
    clock(TUESDAY_3AM + timedelta(days=1))
    on_duty(ana)  # still marked available in the night
    mailoutbox.clear()
    assert notify(make_intake()).assigned_to is None
    assert [mail.to for mail in mailoutbox] == [[ONCALL]]


# --- The duty switch ------------------------------------------------------------------------


def state_of(user) -> NavigatorState:
    return NavigatorState.objects.get(user=user)


def on_duty_now(user) -> bool:
    return NavigatorState.objects.on_duty().filter(user=user).exists()


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_every_admin_page_shows_a_navigator_their_state_and_one_button(client, navigator):
    services.navigator_set_available(user=navigator, available=False)
    client.force_login(navigator)
    for url in (ADMIN, "/admin/admissions/intake/", "/admin/password_change/"):
        html = client.get(url).content.decode()
        assert re.search(r"You are <strong>away</strong>", html), url
        assert 'name="available" value="1"' in html, url
        assert 'name="available" value="0"' not in html, url
    services.navigator_set_available(user=navigator, available=True)
    html = client.get(ADMIN).content.decode()
    assert "You are <strong>available</strong>" in html
    assert 'name="available" value="0"' in html


def test_staff_outside_the_navigators_group_see_no_switch(client, supervisor):
    client.force_login(supervisor)
    html = client.get(ADMIN).content.decode()
    assert 'id="duty-form"' not in html


def test_going_available_puts_the_navigator_on_duty_and_tells_them_what_waits(
    client, routing, make_intake
):
    waiting = [notify(make_intake(phone=phone(n))) for n in range(2)]  # told to on-call only
    nora = make_user("nora", NAVIGATORS_GROUP)
    assert not on_duty_now(nora)
    client.force_login(nora)
    response = client.post(DUTY, {"available": "1", "next": "/admin/admissions/intake/"})
    assert response.status_code == 302 and response["Location"] == "/admin/admissions/intake/"
    state = state_of(nora)
    assert state.available and state.available_since and state.last_seen_at
    assert on_duty_now(nora)

    messages = page_messages(client.get(response["Location"]))
    assert "You are available: new intakes are given to you." in messages
    [told] = [message for message in messages if "waiting" in message]
    assert told.startswith("2 intakes are waiting for a first call with nobody assigned")
    assert 'href="/admin/admissions/intake/"' in told
    assert all(intake.assigned_to is None for intake in waiting)  # they wait for a pick-up


def test_going_away_takes_the_navigator_off_duty(client, navigator, routing, make_intake):
    client.force_login(navigator)
    response = client.post(DUTY, {"available": "0"}, follow=True)
    assert "You are away: new intakes are not given to you." in page_messages(response)
    assert not state_of(navigator).available and not on_duty_now(navigator)
    assert notify(make_intake()).assigned_to is None


def test_a_navigator_without_an_email_address_is_told_why_no_intake_comes(client):
    nomail = make_user("nomail", NAVIGATORS_GROUP, email="")
    client.force_login(nomail)
    response = client.post(DUTY, {"available": "1"}, follow=True)
    assert any("no email address" in message for message in page_messages(response))
    assert not on_duty_now(nomail)


def test_the_switch_takes_a_post_from_a_signed_in_navigator_only(client, supervisor, navigator):
    assert client.post(DUTY, {"available": "1"})["Location"].startswith("/admin/login/")
    client.force_login(supervisor)
    assert client.post(DUTY, {"available": "1"}).status_code == 403
    assert not NavigatorState.objects.filter(user=supervisor).exists()
    client.force_login(navigator)
    assert client.get(DUTY).status_code == 405


def test_the_switch_needs_the_pages_csrf_token(navigator):
    services.navigator_set_available(user=navigator, available=False)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(navigator)
    assert browser.post(DUTY, {"available": "1"}).status_code == 403
    assert not state_of(navigator).available
    html = browser.get(ADMIN).content.decode()
    token = re.search(
        r'id="duty-form".*?name="csrfmiddlewaretoken" value="([^"]+)"', html, re.S
    ).group(1)
    response = browser.post(DUTY, {"available": "1", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert state_of(navigator).available


@pytest.mark.parametrize(
    "target", ["https://evil.example/admin/", "//evil.example/", "/admissions/", ""]
)
def test_the_switch_goes_back_to_admin_pages_only(client, navigator, target):
    client.force_login(navigator)
    response = client.post(DUTY, {"available": "1", "next": target})
    assert response["Location"] == ADMIN


def test_only_navigators_can_go_available(supervisor):
    with pytest.raises(PermissionDenied):
        services.navigator_set_available(user=supervisor, available=True)
    services.navigator_set_available(user=supervisor, available=False)  # harmless
    assert not NavigatorState.objects.filter(user=supervisor).exists()


# --- Away without a click -------------------------------------------------------------------


def test_admin_requests_keep_a_navigator_seen_at_most_once_a_minute(client, navigator, clock):
    start = clock(timezone.now())
    on_duty(navigator, start)
    client.force_login(navigator)
    clock(start + timedelta(seconds=30))
    client.get(ADMIN)
    assert state_of(navigator).last_seen_at == start  # written at most once a minute
    later = clock(start + timedelta(minutes=20))
    client.get(ADMIN)
    assert state_of(navigator).last_seen_at == later
    clock(later + timedelta(minutes=20))  # 40 minutes after the start: seen 20 ago
    assert on_duty_now(navigator)


def test_requests_outside_the_admin_and_automatic_ones_are_not_activity(client, navigator, clock):
    start = clock(timezone.now())
    on_duty(navigator, start)
    client.force_login(navigator)
    clock(start + timedelta(minutes=10))
    client.get("/")
    client.get("/admin/admissions/intake/", headers={"X-Automatic-Request": "1"})
    assert state_of(navigator).last_seen_at == start


def test_a_navigator_gone_longer_than_the_away_time_is_marked_away_and_told(
    client, navigator, settings, clock
):
    settings.ADMISSIONS_AWAY_AFTER_MINUTES = 10  # sooner than the session's idle end
    start = clock(timezone.now())
    on_duty(navigator, start)
    client.force_login(navigator)
    clock(start + timedelta(minutes=11))
    assert not on_duty_now(navigator)  # away already, before any request
    response = client.get(ADMIN)
    assert "You were marked away after 10 minutes without activity" in " ".join(
        page_messages(response)
    )
    assert "You are <strong>away</strong>" in response.content.decode()
    assert not state_of(navigator).available
    client.get(ADMIN)  # the request itself does not bring them back on duty
    assert not on_duty_now(navigator)


def test_a_shorter_session_lifetime_makes_a_navigator_away_sooner(navigator, settings, clock):
    settings.ADMISSIONS_AWAY_AFTER_MINUTES = 30
    settings.SESSION_COOKIE_AGE = 10 * 60  # their session ends after 10 idle minutes
    start = clock(timezone.now())
    on_duty(navigator, start)
    clock(start + timedelta(minutes=9))
    assert on_duty_now(navigator)
    clock(start + timedelta(minutes=11))
    assert not on_duty_now(navigator)


def test_signing_out_marks_the_navigator_away(client, navigator):
    client.force_login(navigator)
    assert on_duty_now(navigator)
    client.post("/admin/logout/")
    assert not state_of(navigator).available


def test_the_end_of_the_staff_session_marks_the_navigator_away(client, navigator, settings):
    client.force_login(navigator)
    session = client.session
    session[SIGNED_IN_AT_KEY] = (
        timezone.now() - timedelta(hours=settings.STAFF_SESSION_MAX_HOURS + 1)
    ).timestamp()
    session.save()
    response = client.get(ADMIN)
    assert response.status_code == 302  # signed out: to the sign-in page
    assert not state_of(navigator).available
