"""The callback promise (admissions/promise.py) on the intake form and its
confirmation, and the SLA clock that starts at the intake's call_after."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from admissions import services
from admissions.models import Intake
from admissions.promise import callback_promise
from admissions.roles import SUPERVISORS_GROUP
from tests.admissions.helpers import on_duty
from tests.admissions.test_intake_form import URL, post
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
HOURS = "mon-fri 08:00-20:00; sat,sun 09:00-17:00"
TUESDAY_NOON = datetime(2026, 12, 1, 12, 0, tzinfo=NY)
TUESDAY_NIGHT = datetime(2026, 12, 1, 23, 0, tzinfo=NY)
WEDNESDAY_8AM = datetime(2026, 12, 2, 8, 0, tzinfo=NY)


@pytest.fixture
def hours(settings):
    settings.ADMISSIONS_HOURS = HOURS
    settings.ADMISSIONS_CALLBACK_MINUTES = 15


@pytest.fixture
def at(monkeypatch):
    """Set the clock the services and the promise read."""

    def set_clock(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_clock


# --- The promise itself ------------------------------------------------------------------


def test_open_with_a_navigator_on_duty_promises_the_callback_minutes(hours, navigator):
    on_duty(navigator, TUESDAY_NOON)
    promise = callback_promise(now=TUESDAY_NOON)
    assert promise.state == "soon"
    assert promise.sentence == "A navigator will call you within 15 minutes."
    assert not promise.urgent_numbers_needed


def test_closed_names_the_next_opening_with_weekday_and_zone(hours, navigator):
    on_duty(navigator, TUESDAY_NIGHT)  # on duty or not: closed is closed
    promise = callback_promise(now=TUESDAY_NIGHT)
    assert promise.state == "closed"
    assert promise.sentence == (
        "We are closed now. A navigator will call you after 8 am tomorrow (Eastern Time)."
    )
    assert promise.urgent_numbers_needed


def test_closed_on_friday_night_names_saturday_by_its_day(hours):
    friday_night = datetime(2026, 12, 4, 22, 0, tzinfo=NY)
    sentence = callback_promise(now=friday_night).sentence
    assert sentence.endswith("call you after 9 am tomorrow (Eastern Time).")
    saturday_night = datetime(2026, 12, 5, 18, 0, tzinfo=NY)
    assert "after 9 am tomorrow" in callback_promise(now=saturday_night).sentence
    sunday_night = datetime(2026, 12, 6, 18, 0, tzinfo=NY)
    assert "after 8 am tomorrow" in callback_promise(now=sunday_night).sentence


def test_a_holiday_moves_the_promise_to_the_next_open_day(hours, settings):
    settings.ADMISSIONS_CLOSED_DATES = "2026-12-25"
    christmas_eve = datetime(2026, 12, 24, 21, 0, tzinfo=NY)
    assert callback_promise(now=christmas_eve).sentence == (
        "We are closed now. A navigator will call you after 9 am on Saturday, December 26 "
        "(Eastern Time)."
    )


def test_open_with_nobody_on_duty_promises_no_minutes(hours, navigator):
    services.navigator_set_available(user=navigator, available=False)  # nora is away
    promise = callback_promise(now=TUESDAY_NOON)
    assert promise.state == "busy"
    assert "minutes" not in promise.sentence
    assert promise.urgent_numbers_needed


def test_a_navigator_away_too_long_does_not_count_as_on_duty(hours, navigator, settings):
    settings.ADMISSIONS_AWAY_AFTER_MINUTES = 30
    on_duty(navigator, TUESDAY_NOON - timedelta(minutes=31))
    assert callback_promise(now=TUESDAY_NOON).state == "busy"
    on_duty(navigator, TUESDAY_NOON - timedelta(minutes=29))
    assert callback_promise(now=TUESDAY_NOON).state == "soon"


def test_a_later_time_the_person_chose_is_the_promise(hours):
    evening = datetime(2026, 12, 1, 17, 0, tzinfo=NY)
    promise = callback_promise(now=TUESDAY_NOON, call_after=evening)
    assert promise.state == "chosen"
    assert promise.sentence == (
        "A navigator will call you after 5 pm today (Eastern Time), the time you chose."
    )


# --- On the pages ---------------------------------------------------------------------------
# The pages run on the real clock (the form's fill-time token does too): the
# settings make admissions open or closed now.


def test_the_form_and_the_thanks_page_promise_minutes_when_someone_is_on_duty(
    client, navigator, no_fill_time
):
    on_duty(navigator)  # the suite's hours are around the clock
    form = client.get(URL).content.decode()
    assert "A navigator will call you within 15 minutes." in form
    post(client, best_time="any")
    thanks = client.get("/admissions/thanks/").content.decode()
    assert "A navigator will call you within 15 minutes." in thanks
    assert "We are closed now" not in thanks


def test_the_form_and_the_thanks_page_say_closed_with_the_urgent_numbers(
    client, navigator, settings, no_fill_time
):
    today = timezone.localdate()
    settings.ADMISSIONS_CLOSED_DATES = f"{today},{today + timedelta(days=1)}"
    reopens = today + timedelta(days=2)
    closed = (
        "We are closed now. A navigator will call you after midnight on "
        f"{reopens:%A}, {reopens:%B} {reopens.day} (Eastern Time)."
    )
    on_duty(navigator)  # on duty or not: closed is closed
    form = client.get(URL).content.decode()
    assert closed in form
    assert "within 15 minutes" not in form
    post(client, best_time="any")
    thanks = client.get("/admissions/thanks/").content.decode()
    assert closed in thanks
    assert "Anything urgent? Our line is open 24/7" in thanks
    assert 'href="tel:988"' in thanks and 'href="tel:911"' in thanks
    # A reload keeps the same promise (the reference itself is shown once).
    assert closed in client.get("/admissions/thanks/").content.decode()


def test_the_thanks_page_promises_the_best_time_the_person_chose(client, navigator, no_fill_time):
    on_duty(navigator)
    if timezone.localtime().hour < 16:  # at least an hour before the evening
        best_time, when = "evening", "5 pm today"
    else:
        best_time, when = "morning", "8 am tomorrow"
    post(client, best_time=best_time)
    thanks = client.get("/admissions/thanks/").content.decode()
    chosen = f"A navigator will call you after {when} (Eastern Time), the time you chose."
    assert chosen in thanks
    assert Intake.objects.get().call_after > timezone.now()


# --- The SLA clock starts at call_after -----------------------------------------------------


def submit(make_intake, at, moment, **values) -> Intake:
    at(moment)
    return make_intake(**values)


def test_an_intake_sent_at_night_is_to_be_called_after_the_next_opening(hours, make_intake, at):
    intake = submit(make_intake, at, TUESDAY_NIGHT)
    assert intake.created_at == TUESDAY_NIGHT
    assert intake.call_after == WEDNESDAY_8AM
    assert intake.contact_due_at == WEDNESDAY_8AM + timedelta(minutes=15)


def test_an_intake_sent_while_open_is_to_be_called_now(hours, make_intake, at):
    assert submit(make_intake, at, TUESDAY_NOON).call_after == TUESDAY_NOON


def test_the_best_time_to_call_moves_call_after_into_its_window(hours, make_intake, at):
    morning = submit(make_intake, at, TUESDAY_NOON, best_time="morning")
    assert morning.call_after == WEDNESDAY_8AM
    evening = submit(make_intake, at, TUESDAY_NOON, best_time="evening")
    assert evening.call_after == datetime(2026, 12, 1, 17, 0, tzinfo=NY)


def test_night_hours_raise_no_overdue_badge_nor_escalation(hours, make_intake, at, settings):
    settings.ADMISSIONS_SLA_MINUTES = 15
    make_user("sam", SUPERVISORS_GROUP)
    intake = submit(make_intake, at, TUESDAY_NIGHT)
    four_am = datetime(2026, 12, 2, 4, 0, tzinfo=NY)  # five hours later, still closed
    assert not intake.is_overdue(four_am)
    assert not Intake.objects.overdue(four_am).exists()
    assert services.intakes_escalate_overdue(now=four_am) == 0
    just_before = WEDNESDAY_8AM + timedelta(minutes=14)
    assert not Intake.objects.overdue(just_before).exists()
    after = WEDNESDAY_8AM + timedelta(minutes=16)
    assert intake.is_overdue(after)
    assert list(Intake.objects.overdue(after)) == [intake]
    assert services.intakes_escalate_overdue(now=after) == 1
