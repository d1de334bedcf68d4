"""The Admissions overview: the period chooser, conversion by source page, time to
first contact by hour of submission, and the same figures without the database's
percentiles (the SQLite fallback)."""

import re
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from admissions import overview, services
from admissions.models import Intake

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_off")]

OVERVIEW = "/admin/admissions/admissionsoverview/"
# A Friday afternoon in the clinic's time zone (America/New_York, EST in November).
NOW = timezone.make_aware(datetime(2026, 11, 20, 15, 0))


def local(text: str) -> datetime:
    """An aware datetime from "2026-11-17 10:00", clinic time."""
    return timezone.make_aware(datetime.fromisoformat(text))


@pytest.fixture
def submitted(make_intake, settings):
    """submitted(source, at, waited=None, status=None, steps=(), clock=None): an
    intake from the source page, sent at `at`, its target clock starting then (or
    at `clock`), first contacted `waited` minutes after its clock; `steps` are
    status changes made through the timeline first, `status` is set directly."""
    settings.ADMISSIONS_SLA_MINUTES = 15

    def make(source, at, waited=None, *, status=None, steps=(), clock=None):
        intake = make_intake(source_page=source)
        for step in steps:
            services.intake_set_status(intake=intake, status=step, by=None)
        clock = clock or at
        values = {"created_at": at, "call_after": clock, "first_contacted_at": None}
        if waited is not None:
            values["first_contacted_at"] = clock + timedelta(minutes=waited)
        if status:
            values["status"] = status
        elif waited is not None and not steps:
            values["status"] = "contacted"
        Intake.objects.filter(pk=intake.pk).update(**values)
        return intake

    return make


@pytest.fixture
def known_intakes(submitted, guide):
    """Nine intakes in the last 30 days before NOW from four rows of the table,
    one older and one anonymised (both left out)."""
    guide("baclofen")  # naltrexone has no guide in the database any more
    submitted("baclofen", local("2026-11-17 10:00"), 5, status="assessment_scheduled")
    submitted("baclofen", local("2026-11-17 10:30"), 20)
    submitted("baclofen", local("2026-11-18 09:00"), 10,
              steps=["assessment_scheduled", "admitted", "closed"])  # fmt: skip
    submitted("baclofen", local("2026-11-18 13:00"))  # never reached, long overdue
    submitted("home", local("2026-11-19 22:30"), 40)  # 03:30 UTC: hour 22 in clinic time
    submitted("home", NOW - timedelta(minutes=5))  # still inside its target time
    submitted("", local("2026-11-19 08:15"), 2)
    submitted("other", local("2026-11-16 16:00"), 30, status="referred_out")
    submitted("naltrexone", local("2026-11-15 23:15"), 90)
    submitted("baclofen", local("2026-10-21 23:30"), 1)  # the day before the 30 days
    gone = submitted("", local("2026-11-18 11:00"), 1)
    Intake.objects.filter(pk=gone.pk).update(anonymised_at=NOW)


def cells(row: overview.SourceRow) -> tuple:
    return (
        row.label,
        row.intakes,
        f"{row.reached} ({row.reached_share})",
        f"{row.assessments} ({row.assessments_share})",
        f"{row.admitted} ({row.admitted_share})",
        row.median_text,
        row.p90_text,
        f"{row.within_sla_share} ({row.within_sla} of {row.due})",
    )


# --- Conversion by source page ---------------------------------------------------------


EXPECTED_ROWS = [
    ("Guide: Baclofen", 4, "3 (75%)", "2 (50%)", "1 (25%)", "10.0 min", "18.0 min", "50% (2 of 4)"),
    ("Direct or another page", 2, "2 (100%)", "0 (0%)", "0 (0%)", "16.0 min", "27.2 min",
     "50% (1 of 2)"),
    ("Home page", 2, "1 (50%)", "0 (0%)", "0 (0%)", "40.0 min", "40.0 min", "0% (0 of 1)"),
    ("Guide: naltrexone", 1, "1 (100%)", "0 (0%)", "0 (0%)", "1 h 30 min", "1 h 30 min",
     "0% (0 of 1)"),
]  # fmt: skip
EXPECTED_GUIDES = (
    "All guides",
    5,
    "4 (80%)",
    "2 (40%)",
    "1 (20%)",
    "15.0 min",
    "1 h 9 min",
    "40% (2 of 5)",
)
EXPECTED_TOTAL = (
    "All pages",
    9,
    "7 (78%)",
    "2 (22%)",
    "1 (11%)",
    "20.0 min",
    "1 h 0 min",
    "38% (3 of 8)",
)


def test_each_source_page_gets_its_intakes_conversions_and_times_to_first_contact(
    known_intakes,
):
    sources = overview.build(now=NOW)["sources"]
    assert [cells(row) for row in sources["rows"]] == EXPECTED_ROWS
    assert cells(sources["guides"]) == EXPECTED_GUIDES
    assert cells(sources["total"]) == EXPECTED_TOTAL


def test_the_same_figures_without_the_databases_percentiles(known_intakes, monkeypatch):
    """The SQLite fallback: the waits read and interpolated in Python."""
    in_database = overview.build(now=NOW)
    monkeypatch.setattr(overview, "percentiles_in_database", lambda: False)
    in_python = overview.build(now=NOW)
    assert [cells(row) for row in in_python["sources"]["rows"]] == EXPECTED_ROWS
    assert cells(in_python["sources"]["total"]) == EXPECTED_TOTAL
    for chart in ("by_hour", "wait", "per_day"):
        assert in_python[chart] == in_database[chart]


def test_percentile_interpolates_between_the_nearest_values_as_percentile_cont():
    minutes = [timedelta(minutes=value) for value in (40, 10, 20, 30)]
    assert overview.percentile(minutes, 0.5) == timedelta(minutes=25)
    assert overview.percentile(minutes, 0.9) == timedelta(minutes=37)
    assert overview.percentile(minutes[:1], 0.9) == timedelta(minutes=40)
    assert overview.percentile([], 0.5) is None


def test_time_to_first_contact_runs_from_when_the_clock_started(submitted):
    """Sent at night, the clock starts at the next opening; a call before it
    counts as at once, not as a negative wait."""
    opening = local("2026-11-19 08:00")
    submitted("home", local("2026-11-18 23:40"), 10, clock=opening)  # 8:10: within 15
    submitted("home", local("2026-11-18 23:50"), -30, clock=opening)  # called at 7:30
    row = overview.build(now=NOW)["sources"]["rows"][0]
    assert (row.median, row.p90) == (timedelta(minutes=5), timedelta(minutes=9))
    assert (row.within_sla, row.due, row.within_sla_share) == (2, 2, "100%")


def test_an_intake_whose_clock_has_not_started_is_not_yet_due(submitted):
    submitted("home", NOW - timedelta(hours=1), clock=NOW + timedelta(hours=16))
    row = overview.build(now=NOW)["sources"]["rows"][0]
    assert (row.intakes, row.due, row.within_sla_share) == (1, 0, "-")


def test_time_to_first_contact_by_hour_of_submission_in_clinic_time(known_intakes):
    bars = overview.build(now=NOW)["by_hour"]["bars"]
    assert len(bars) == 24
    assert bars[10].label == "10 am to 11 am"
    assert bars[10].text == "median 12.5 min, 90th percentile 18.5 min, 2 reached"
    assert bars[22].text == "median 40.0 min, 90th percentile 40.0 min, 1 reached"
    assert bars[23].label == "11 pm to 12 am"
    assert bars[23].text == "median 1 h 30 min, 90th percentile 1 h 30 min, 1 reached"
    assert bars[13].text == "no contact yet" and bars[13].height == 0  # nobody reached
    assert bars[3].value is None  # 03:30 UTC is 22:30 in New York


# --- The period ------------------------------------------------------------------------


def test_a_chosen_number_of_days_ends_today_and_starts_at_midnight(submitted):
    submitted("home", local("2026-11-13 23:59"), 1)
    submitted("home", local("2026-11-14 00:00"), 1)
    page = overview.build({"days": "7"}, now=NOW)
    assert page["period"].phrase == "in the last 7 days"
    assert page["total_count"] == 1
    assert len(page["per_day"]["bars"]) == 7 and len(page["wait"]["bars"]) == 7
    assert page["per_day"]["bars"][0].label == "Nov 14"
    assert [preset["current"] for preset in page["period_presets"]] == [True, False, False]
    assert [(row["label"], row["count"]) for row in page["funnel"]["rows"]][2] == ("Contacted", 1)
    assert overview.build(now=NOW)["total_count"] == 2  # 30 days by default


def test_two_dates_include_both_whole_days(submitted):
    for at in ("2026-10-31 23:59", "2026-11-01 00:00", "2026-11-03 23:59", "2026-11-04 00:00"):
        submitted("home", local(at), 1)
    page = overview.build({"start": "2026-11-01", "end": "2026-11-03"}, now=NOW)
    assert not page["period_form"].problems()
    assert page["period"].phrase == "from Nov 1, 2026 to Nov 3, 2026"
    assert page["total_count"] == 2
    assert [bar.text for bar in page["per_day"]["bars"]] == ["1 intakes", "0 intakes", "1 intakes"]
    to_today = overview.build({"start": "2026-11-01"}, now=NOW)
    assert to_today["period"].last_day == NOW.date() and to_today["total_count"] == 3


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({"days": "12"}, "Choose the last 7, 30 or 90 days."),
        ({"start": "next week"}, "Enter the first day as a date, for example 2026-11-01."),
        ({"start": "2026-11-01", "end": "2026-11-31"},
         "Enter the last day as a date, for example 2026-11-30."),
        ({"end": "2026-11-03"}, "Enter the first day of the period too."),
        ({"start": "2026-11-05", "end": "2026-11-03"},
         "The first day must be on or before the last day."),
        ({"start": "2026-11-05", "end": "2026-11-21"},
         "The period cannot end after today (Nov 20, 2026)."),
        ({"start": "2025-11-17", "end": "2026-11-18"}, "Choose a period of at most 366 days."),
    ],
)  # fmt: skip
def test_a_period_that_cannot_be_shown_is_refused_and_the_default_shown(query, problem):
    page = overview.build(query, now=NOW)
    assert page["period_form"].problems() == [problem]
    assert page["period"] == overview.Period.last(30, NOW.date())


def test_a_year_of_366_days_is_accepted(submitted):
    page = overview.build({"start": "2025-11-20", "end": "2026-11-20"}, now=NOW)
    assert not page["period_form"].problems() and page["period"].days == 366
    assert len(page["per_day"]["bars"]) == 366


# --- The page --------------------------------------------------------------------------


def test_the_page_shows_the_table_with_its_caption_headers_and_totals(
    client, supervisor, submitted, guide
):
    guide("baclofen")
    now = timezone.now()
    submitted("baclofen", now - timedelta(days=1), 12, status="admitted")
    submitted("baclofen", now - timedelta(days=2))
    submitted("home", now - timedelta(days=3), 20)
    client.force_login(supervisor)
    html = client.get(OVERVIEW, {"days": "7"}).content.decode()
    start = html.index('<div class="overview-scroll"')
    table = html[start : html.index("</table>", start)]
    assert '<caption id="sources-caption">Intakes in the last 7 days by the page' in table
    assert table.count('<th scope="col">') == 8
    assert '<th scope="col">Reached within 15 min</th>' in table
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</th>(.*?)</tr>", table, re.S)
    texts = [
        (label, [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()
                 for cell in re.findall(r"<td>(.*?)</td>", rest, re.S)])
        for label, rest in rows
    ]  # fmt: skip
    assert texts == [
        ("Guide: Baclofen", ["2", "1 (50%)", "1 (50%)", "1 (50%)", "12.0 min", "12.0 min",
                             "50% (1 of 2)"]),
        ("Home page", ["1", "1 (100%)", "0 (0%)", "0 (0%)", "20.0 min", "20.0 min", "0% (0 of 1)"]),
        ("All guides", ["2", "1 (50%)", "1 (50%)", "1 (50%)", "12.0 min", "12.0 min",
                        "50% (1 of 2)"]),
        ("All pages", ["3", "2 (67%)", "1 (33%)", "1 (33%)", "16.0 min", "19.2 min",
                       "33% (1 of 3)"]),
    ]  # fmt: skip
    assert "<tfoot>" in table
    assert 'role="region" aria-labelledby="sources-caption" tabindex="0"' in html
    assert html.count('<svg class="chart') == 4
    assert 'aria-current="page">Last 7 days</a>' in html
    body = html.split("<body")[1]
    assert "<style" not in body and ' style="' not in body and "<script>" not in body


def test_a_refused_period_is_explained_on_the_page(client, supervisor):
    client.force_login(supervisor)
    response = client.get(OVERVIEW, {"start": "2026-11-05", "end": "2026-11-03"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="errornote" role="alert"' in html
    assert "The first day must be on or before the last day." in html
    assert "Intakes submitted in the last 30 days" in html
    assert 'value="2026-11-05"' in html  # what was typed is kept
    html = client.get(OVERVIEW, {"start": "next week"}).content.decode()
    assert "Enter the first day as a date, for example 2026-11-01." in html
    assert re.search(r'<input type="date" name="start" max="[0-9-]+" aria-invalid="true"', html)


def test_an_empty_period_says_so(client, supervisor):
    client.force_login(supervisor)
    html = client.get(OVERVIEW).content.decode()
    assert "No intakes in the last 30 days." in html and "<tfoot>" not in html


def test_the_queries_do_not_grow_with_the_sources_or_the_period(submitted, guide):
    def queries(query) -> int:
        with CaptureQueriesContext(connection) as captured:
            overview.build(query, now=NOW)
        return len(captured)

    submitted("baclofen", local("2026-11-17 10:00"), 5)
    few = queries({"days": "7"})
    guide("acamprosate")
    for number, slug in enumerate(["acamprosate", "naltrexone", "home", "", "other"]):
        submitted(slug, local("2026-11-10 10:00") - timedelta(days=number * 15), number)
    assert queries({"days": "90"}) == few


def test_the_timeline_is_read_by_one_query_of_the_page(known_intakes):
    """The counts of the table, of the languages and of the funnel come from one
    query grouped by source page, language and status; the percentiles' queries
    do not read the timeline again."""
    with CaptureQueriesContext(connection) as captured:
        page = overview.build({"days": "90"}, now=NOW)
    timeline = [q["sql"] for q in captured if "admissions_intakeactivity" in q["sql"]]
    assert len(timeline) == 1
    assert "PERCENTILE_CONT" not in timeline[0]
    funnel = {row["label"]: row["count"] for row in page["funnel"]["rows"]}
    assert funnel == {
        "New": 2,
        "Attempting contact": 0,
        "Contacted": 5,
        "Assessment scheduled": 1,
        "Admitted": 0,
        "Referred out": 1,
        "Closed": 1,
    }
    assert [(row.key, row.intakes, row.admitted) for row in page["languages"]] == [
        ("en", 10, 1),
        ("es", 0, 0),
    ]


def test_the_overdue_count_is_read_from_an_index_alone(submitted):
    """Intake.objects.overdue() counted from intake_overdue_idx (an index-only
    scan: the table's wide rows are not read), when the planner may use it."""
    submitted("home", local("2026-11-19 08:00"))
    with CaptureQueriesContext(connection) as captured:
        assert Intake.objects.overdue(NOW).count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + captured[0]["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using intake_overdue_idx" in plan
