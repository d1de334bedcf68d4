"""The admissions schedule (admissions/schedule.py): parsing, open at a time,
next opening, holidays, daylight-saving days and the hours shown to people."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured

from admissions.schedule import schedule_current, schedule_parse

NY = ZoneInfo("America/New_York")
DEFAULT = "mon-fri 08:00-20:00; sat,sun 09:00-17:00"


def parse(hours=DEFAULT, closed="", zone="America/New_York"):
    return schedule_parse(hours=hours, closed_dates=closed, time_zone=zone)


def at(*args):
    return datetime(*args, tzinfo=NY)


# --- Parsing --------------------------------------------------------------------


def test_parser_reads_day_ranges_lists_and_several_spans():
    schedule = parse("mon-wed,fri 08:00-12:00,13:00-17:30; sun 10:00-24:00")
    split = ((480, 720), (780, 1050))
    assert schedule.week == (split, split, split, (), split, (), ((600, 1440),))


def test_a_day_range_can_wrap_the_week_end():
    assert [bool(spans) for spans in parse("fri-mon 09:00-10:00").week] == [
        True, False, False, False, True, True, True,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("hours", "words"),
    [
        ("", "is empty"),
        ("mon-fri", "not days followed by spans"),
        ("monday 08:00-20:00", "'monday' where days are expected"),
        ("mon 8:00-20:00", "'8:00-20:00' where a span HH:MM-HH:MM is expected"),
        ("mon 08:00-24:30", "not a time of day"),
        ("mon 25:00-26:00", "not a time of day"),
        ("mon 08:60-09:00", "not a time of day"),
        ("mon 22:00-02:00", "a span past midnight is written as two"),
        ("mon 09:00-09:00", "ends before it starts"),
        ("mon-fri 08:00-12:00; fri 11:00-13:00", "overlapping spans on Friday"),
    ],
)
def test_parser_refuses_a_bad_schedule_naming_the_variable(hours, words):
    with pytest.raises(ImproperlyConfigured) as error:
        parse(hours)
    assert str(error.value).startswith("ADMISSIONS_HOURS ")
    assert words in str(error.value)
    assert "mon-fri 08:00-20:00; sat,sun 09:00-17:00" in str(error.value)


def test_parser_refuses_a_bad_closed_date_naming_the_variable():
    with pytest.raises(ImproperlyConfigured, match=r"^ADMISSIONS_CLOSED_DATES .*'2026-13-01'"):
        parse(closed="2026-12-25,2026-13-01")


def test_parser_refuses_an_unknown_time_zone():
    with pytest.raises(ImproperlyConfigured, match="TIME_ZONE 'Mars/Olympus'"):
        parse(zone="Mars/Olympus")


def test_closed_dates_are_read_and_blanks_ignored():
    assert {str(day) for day in parse(closed=" 2026-12-25, ,2027-01-01 ").closed} == {
        "2026-12-25",
        "2027-01-01",
    }


def test_the_current_schedule_follows_the_settings(settings):
    settings.ADMISSIONS_HOURS = "sun 10:00-11:00"
    settings.ADMISSIONS_CLOSED_DATES = "2026-12-27"
    schedule = schedule_current()
    assert schedule.week[6] == ((600, 660),) and not any(schedule.week[:6])
    assert schedule.next_opening(at(2026, 12, 20, 12)) == at(2027, 1, 3, 10)
    assert schedule_current() is schedule  # parsed once per value


# --- Open at a time ---------------------------------------------------------------


def test_open_from_the_start_of_a_span_until_just_before_its_end():
    schedule = parse()
    assert not schedule.is_open(at(2026, 12, 7, 7, 59, 59))  # a Monday
    assert schedule.is_open(at(2026, 12, 7, 8))
    assert schedule.is_open(at(2026, 12, 7, 19, 59, 59))
    assert not schedule.is_open(at(2026, 12, 7, 20))
    assert schedule.is_open(at(2026, 12, 5, 9)) and not schedule.is_open(at(2026, 12, 5, 17))


def test_open_answers_for_any_zone():
    schedule = parse()
    # 13:30 UTC is 08:30 in New York (EST) on Monday 7 December 2026.
    assert schedule.is_open(datetime(2026, 12, 7, 13, 30, tzinfo=UTC))
    assert not schedule.is_open(datetime(2026, 12, 7, 12, 30, tzinfo=UTC))
    # 02:00 in Tokyo on Tuesday is 12:00 on Monday in New York.
    assert schedule.is_open(datetime(2026, 12, 8, 2, tzinfo=ZoneInfo("Asia/Tokyo")))


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="aware"):
        parse().is_open(datetime(2026, 12, 7, 9))


def test_a_span_to_midnight_and_the_next_from_midnight_are_one_open_period():
    schedule = parse("fri 22:00-24:00; sat 00:00-02:00")
    assert schedule.is_open(at(2026, 12, 4, 23, 59))
    assert schedule.is_open(at(2026, 12, 5, 0, 0))
    assert schedule.is_open(at(2026, 12, 5, 1, 59)) and not schedule.is_open(at(2026, 12, 5, 2))
    # Open at 23:00, the next opening is the following Friday, not Saturday 00:00.
    assert schedule.next_opening(at(2026, 12, 4, 23)) == at(2026, 12, 11, 22)


# --- Next opening -------------------------------------------------------------------


def test_next_opening_is_strictly_after_t():
    schedule = parse()
    assert schedule.next_opening(at(2026, 12, 7, 7)) == at(2026, 12, 7, 8)
    assert schedule.next_opening(at(2026, 12, 7, 8)) == at(2026, 12, 8, 8)
    assert schedule.next_opening(at(2026, 12, 7, 12)) == at(2026, 12, 8, 8)
    assert schedule.open_from(at(2026, 12, 7, 12)) == at(2026, 12, 7, 12)
    assert schedule.open_from(at(2026, 12, 7, 21)) == at(2026, 12, 8, 8)


def test_next_opening_across_midnight():
    schedule = parse()
    assert schedule.next_opening(at(2026, 12, 8, 23, 30)) == at(2026, 12, 9, 8)
    assert schedule.next_opening(at(2026, 12, 9, 0, 30)) == at(2026, 12, 9, 8)


def test_next_opening_is_in_the_clinic_zone_for_a_time_in_another():
    opening = parse().next_opening(datetime(2026, 12, 8, 4, tzinfo=UTC))  # 23:00 Monday NY
    assert opening == at(2026, 12, 8, 8) and opening.tzinfo == NY


def test_friday_night_to_monday_without_weekend_hours():
    schedule = parse("mon-fri 08:00-20:00")
    assert schedule.next_opening(at(2026, 12, 4, 20)) == at(2026, 12, 7, 8)
    assert not schedule.is_open(at(2026, 12, 5, 12)) and not schedule.is_open(at(2026, 12, 6, 12))
    # With the default weekend hours Saturday opens first.
    assert parse().next_opening(at(2026, 12, 4, 20)) == at(2026, 12, 5, 9)


def test_sunday_evening_to_monday_morning_crosses_the_week_end():
    assert parse().next_opening(at(2026, 12, 6, 17)) == at(2026, 12, 7, 8)


# --- Holidays -------------------------------------------------------------------------


def test_a_closed_date_has_no_spans():
    schedule = parse(closed="2026-12-25")  # a Friday
    assert not schedule.is_open(at(2026, 12, 25, 12))
    assert schedule.is_open(at(2026, 12, 24, 12))
    assert schedule.next_opening(at(2026, 12, 24, 21)) == at(2026, 12, 26, 9)


def test_consecutive_closed_dates_are_skipped_together():
    schedule = parse(closed="2026-12-24,2026-12-25,2026-12-26,2026-12-27")
    assert schedule.next_opening(at(2026, 12, 23, 20)) == at(2026, 12, 28, 8)


def test_a_closed_date_on_a_weekend():
    schedule = parse(closed="2027-01-02")  # a Saturday
    assert not schedule.is_open(at(2027, 1, 2, 10))
    assert schedule.next_opening(at(2027, 1, 1, 20)) == at(2027, 1, 3, 9)


def test_many_closed_dates_still_find_the_next_opening():
    first = datetime(2027, 1, 1).date()
    closed = ",".join(str(first + timedelta(days=n)) for n in range(40))
    assert parse(closed=closed).next_opening(at(2026, 12, 31, 21)) == at(2027, 2, 10, 8)


# --- Daylight saving (America/New_York) -----------------------------------------------


def test_spring_forward_day_keeps_wall_clock_hours():
    schedule = parse()
    # Sunday 14 March 2027: clocks jump from 02:00 EST to 03:00 EDT.
    assert schedule.next_opening(at(2027, 3, 13, 18)) == at(2027, 3, 14, 9)
    assert at(2027, 3, 14, 9).utcoffset() == timedelta(hours=-4)
    assert schedule.is_open(datetime(2027, 3, 14, 13, tzinfo=UTC))  # 09:00 EDT
    assert not schedule.is_open(datetime(2027, 3, 14, 12, 59, tzinfo=UTC))  # 08:59 EDT
    assert not schedule.is_open(datetime(2027, 3, 14, 21, tzinfo=UTC))  # 17:00 EDT


def test_a_time_skipped_in_spring_opens_and_closes_at_the_jump():
    schedule = parse("sun 02:30-04:00")
    jump = datetime(2027, 3, 14, 7, tzinfo=UTC)  # 02:00 EST becomes 03:00 EDT
    assert schedule.next_opening(at(2027, 3, 13, 12)) == jump
    assert not schedule.is_open(jump - timedelta(seconds=1))
    assert schedule.is_open(jump)
    early = parse("sun 00:00-02:30")
    assert early.is_open(jump - timedelta(seconds=1)) and not early.is_open(jump)


def test_fall_back_day_keeps_wall_clock_hours():
    schedule = parse()
    # Sunday 7 November 2027: clocks go back from 02:00 EDT to 01:00 EST.
    assert schedule.next_opening(at(2027, 11, 6, 18)) == at(2027, 11, 7, 9)
    assert at(2027, 11, 7, 9).utcoffset() == timedelta(hours=-5)
    assert schedule.is_open(datetime(2027, 11, 7, 14, tzinfo=UTC))  # 09:00 EST
    assert not schedule.is_open(datetime(2027, 11, 7, 13, 59, tzinfo=UTC))  # 08:59 EST
    assert not schedule.is_open(datetime(2027, 11, 7, 22, tzinfo=UTC))  # 17:00 EST


def test_a_span_over_the_repeated_hour_lasts_as_the_clock_says():
    schedule = parse("sun 01:00-02:00")
    opens = datetime(2027, 11, 7, 5, tzinfo=UTC)  # the first 01:00 (EDT)
    # (An aware time in a repeated hour never equals one of another zone: compare in UTC.)
    assert schedule.next_opening(at(2027, 11, 6, 12)).astimezone(UTC) == opens
    assert schedule.is_open(opens + timedelta(minutes=119))  # 01:59 EST
    assert not schedule.is_open(opens + timedelta(minutes=120))  # 02:00 EST


# --- The hours shown to people --------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "zone", "text"),
    [
        (
            DEFAULT,
            "America/New_York",
            "Monday to Friday, 8 am to 8 pm; Saturday and Sunday, 9 am to 5 pm, Eastern Time",
        ),
        ("mon-sun 07:00-23:00", "America/Chicago", "Every day, 7 am to 11 pm, Central Time"),
        (
            "mon,wed,fri 08:30-12:00,13:00-24:00; tue 00:00-12:15",
            "Europe/London",
            "Monday, Wednesday and Friday, 8:30 am to noon and 1 pm to midnight; "
            "Tuesday, midnight to 12:15 pm, Europe/London",
        ),
    ],
)
def test_the_hours_text_is_derived_from_the_schedule(hours, zone, text):
    assert parse(hours, zone=zone).describe() == text


@pytest.mark.django_db
def test_the_pages_show_the_derived_hours(client, settings):
    settings.ADMISSIONS_HOURS = "mon-thu 09:00-17:00"
    html = client.get("/admissions/").content.decode()
    assert "Navigators call back Monday to Thursday, 9 am to 5 pm, Eastern Time." in html


# --- The first open moment within a best time to call ------------------------------

MORNING, EVENING = (8 * 60, 12 * 60), (17 * 60, 20 * 60)


def test_open_within_any_time_is_open_from():
    schedule = parse()
    assert schedule.open_within(at(2026, 12, 1, 10, 0), None) == at(2026, 12, 1, 10, 0)
    assert schedule.open_within(at(2026, 12, 1, 21, 0), None) == at(2026, 12, 2, 8, 0)


def test_open_within_a_window_open_now_is_now():
    assert parse().open_within(at(2026, 12, 1, 9, 30), MORNING) == at(2026, 12, 1, 9, 30)


def test_open_within_a_later_window_the_same_day_waits_for_it():
    assert parse().open_within(at(2026, 12, 1, 9, 30), EVENING) == at(2026, 12, 1, 17, 0)


def test_open_within_a_window_past_for_today_is_tomorrow():
    assert parse().open_within(at(2026, 12, 1, 13, 0), MORNING) == at(2026, 12, 2, 8, 0)


def test_open_within_skips_days_where_the_window_is_closed():
    # Friday night, evening wanted: Saturday and Sunday close at 5 pm, so Monday.
    assert parse().open_within(at(2026, 12, 4, 21, 0), EVENING) == at(2026, 12, 7, 17, 0)


def test_open_within_starts_when_a_window_and_the_hours_overlap():
    # Saturday opens at 9: a morning caller on Saturday is called from 9.
    assert parse().open_within(at(2026, 12, 5, 7, 0), MORNING) == at(2026, 12, 5, 9, 0)


def test_open_within_skips_a_closed_date():
    schedule = parse(closed="2026-12-02")
    assert schedule.open_within(at(2026, 12, 1, 13, 0), MORNING) == at(2026, 12, 3, 8, 0)


def test_open_within_a_window_that_never_meets_the_hours_is_ignored():
    schedule = parse("mon-fri 09:00-17:00")
    assert schedule.open_within(at(2026, 12, 1, 18, 0), EVENING) == at(2026, 12, 2, 9, 0)


def test_open_within_a_window_across_a_period_past_midnight():
    schedule = parse("fri 22:00-24:00; sat 00:00-02:00")
    assert schedule.open_within(at(2026, 12, 4, 12, 0), (0, 60)) == at(2026, 12, 5, 0, 0)


def test_open_within_on_the_spring_forward_day_keeps_wall_clock_windows():
    # 2027-03-14 is the day New York's clocks go forward; Sunday opens at 9 local.
    assert parse().open_within(at(2027, 3, 14, 1, 0), MORNING) == at(2027, 3, 14, 9, 0)


@pytest.mark.parametrize(
    ("moment", "words"),
    [
        (at(2026, 12, 1, 17, 0), "5 pm today"),
        (at(2026, 12, 2, 8, 0), "8 am tomorrow"),
        (at(2026, 12, 7, 9, 30), "9:30 am on Monday, December 7"),
    ],
)
def test_when_names_a_moment_relative_to_now(moment, words):
    assert parse().when(moment, now=at(2026, 12, 1, 13, 0)) == words


def test_when_reads_the_clinic_clock_for_a_time_in_another_zone():
    moment = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # 8 am in New York
    assert parse().when(moment, now=at(2026, 12, 1, 21, 0)) == "8 am tomorrow"
