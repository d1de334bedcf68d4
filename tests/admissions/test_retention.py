"""Retention that forgets: every intake past the period, whatever its status, is
closed and anonymised down to month-level times; expired sessions and old
staff sign-in records are purged by beat."""

from datetime import UTC, datetime, timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from celery.beat import ScheduleEntry
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from admissions import consent, services, tasks
from admissions.models import ConsentRecord, Intake, IntakeActivity
from cardinal import tasks as housekeeping
from cardinal.celery import app as celery_app
from tests.admissions.helpers import PERSONAL, close_past_retention

pytestmark = pytest.mark.django_db

DAYS = 30


@pytest.fixture(autouse=True)
def _period(settings):
    settings.ADMISSIONS_RETENTION_DAYS = DAYS
    settings.TIME_ZONE = "America/New_York"


def age(intake: Intake, days: float) -> Intake:
    """Make the intake, its timeline and its consent `days` old, untouched since."""
    then = timezone.now() - timedelta(days=days)
    Intake.objects.filter(pk=intake.pk).update(created_at=then, updated_at=then)
    IntakeActivity.objects.filter(intake=intake).update(created_at=then)
    ConsentRecord.objects.filter(intake=intake).update(given_at=then)
    intake.refresh_from_db()
    return intake


def is_month_start(value: datetime) -> bool:
    local = timezone.localtime(value, timezone.get_default_timezone())
    return (local.day, local.hour, local.minute, local.second, local.microsecond) == (1, 0, 0, 0, 0)


@pytest.mark.parametrize("status", ["new", "attempting", "contacted", "admitted", "referred_out"])
def test_an_intake_untouched_for_the_period_is_closed_and_anonymised_whatever_its_status(
    make_intake, navigator, status
):
    intake = make_intake(state="NY", source_page="naltrexone", substances=["opioids"])
    services.intake_set_status(intake=intake, status=status, by=navigator)
    services.intake_log_activity(intake=intake, author=navigator, kind="note", note="Thaddeus")
    intake = age(intake, DAYS + 1)

    assert tasks.intakes_anonymise_expired() == 1

    intake.refresh_from_db()
    assert intake.status == "closed" and intake.closed_at is not None
    assert intake.anonymised_at is not None
    for name in Intake.PERSONAL_FIELDS:
        assert getattr(intake, name) == "", name
    assert intake.phone_hash == "" and intake.state == "" and intake.source_page == ""
    closing = intake.activities.filter(kind="status_change", to_status="closed").get()
    assert closing.note == f"Closed automatically after {DAYS} days without activity."
    assert closing.from_status == status
    assert not intake.activities.exclude(pk=closing.pk).exclude(note="").exists()


def test_recent_activity_keeps_an_intake_whatever_the_age_of_its_row(make_intake, navigator):
    intake = age(make_intake(), DAYS + 100)
    services.intake_log_activity(intake=intake, author=navigator, kind="note", note="called")
    assert tasks.intakes_anonymise_expired() == 0
    intake.refresh_from_db()
    assert intake.first_name == PERSONAL["first_name"] and intake.anonymised_at is None


def test_an_intake_touched_within_the_period_is_kept(make_intake):
    intake = age(make_intake(), DAYS - 1)
    assert tasks.intakes_anonymise_expired() == 0
    intake.refresh_from_db()
    assert intake.first_name == PERSONAL["first_name"] and intake.status == "new"


def test_a_closed_intake_is_anonymised_the_period_after_closing_and_keeps_its_timeline_kinds(
    make_intake, navigator
):
    intake = make_intake()
    close_past_retention(intake, by=navigator)
    kinds = sorted(intake.activities.values_list("kind", flat=True))
    assert tasks.intakes_anonymise_expired() == 1
    intake.refresh_from_db()
    assert intake.anonymised_at is not None and intake.status == "closed"
    # Already closed: no automatic closing entry, the timeline's kinds all stay.
    assert sorted(intake.activities.values_list("kind", flat=True)) == kinds


def test_anonymised_times_fall_to_the_first_of_the_month_at_midnight_clinic_time(
    make_intake, navigator
):
    intake = make_intake()
    services.intake_set_status(intake=intake, status="contacted", by=navigator)
    services.intake_log_activity(intake=intake, author=navigator, kind="call_attempt")
    then = datetime(2025, 3, 17, 22, 41, 7, 123456, tzinfo=timezone.get_default_timezone())
    Intake.objects.filter(pk=intake.pk).update(
        created_at=then,
        updated_at=then + timedelta(hours=5),  # 03:41 on the 18th
        notified_at=then + timedelta(seconds=3),
        first_contacted_at=then + timedelta(days=15),  # 1 April
        escalated_at=then + timedelta(minutes=20),
    )
    IntakeActivity.objects.filter(intake=intake).update(created_at=then + timedelta(minutes=7))
    ConsentRecord.objects.filter(intake=intake).update(given_at=then)

    assert tasks.intakes_anonymise_expired() == 1

    intake.refresh_from_db()
    zone = timezone.get_default_timezone()
    march = datetime(2025, 3, 1, tzinfo=zone)
    assert intake.created_at == march and intake.updated_at == march
    assert intake.notified_at == march and intake.escalated_at == march
    assert intake.first_contacted_at == datetime(2025, 4, 1, tzinfo=zone)
    for name in ("closed_at", "anonymised_at"):
        assert is_month_start(getattr(intake, name)), name
    for activity in intake.activities.all():
        assert is_month_start(activity.created_at), activity.kind
    assert {a.created_at for a in intake.activities.exclude(to_status="closed")} == {march}
    record = ConsentRecord.objects.get(intake=intake)
    assert record.given_at == march
    assert record.page == ""
    assert record.wording_version == consent.CURRENT_VERSION  # what was agreed stays
    assert record.wording_sha256 == consent.current().sha256


def test_month_start_is_in_the_clinic_time_zone_not_utc(settings):
    settings.TIME_ZONE = "America/New_York"
    # 02:00 UTC on 1 May is still 30 April in New York.
    late_april = datetime(2025, 5, 1, 2, 0, tzinfo=UTC)
    start = services.month_start(late_april)
    assert start == datetime(2025, 4, 1, 4, 0, tzinfo=UTC)  # EDT midnight


def test_the_sweep_anonymises_more_intakes_than_a_batch(make_intake, monkeypatch):
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    for _ in range(5):
        age(make_intake(), DAYS + 1)
    assert services.intakes_anonymise_expired() == 5
    assert not Intake.objects.filter(anonymised_at__isnull=True).exists()
    assert services.intakes_anonymise_expired() == 0


# --- Sessions and sign-in records -----------------------------------------------------------


def test_beat_purges_expired_sessions_and_keeps_live_ones(client, navigator):
    client.force_login(navigator)
    live = Session.objects.get()
    Session.objects.create(
        session_key="e" * 40, session_data="x", expire_date=timezone.now() - timedelta(seconds=1)
    )
    housekeeping.sessions_purge_expired()
    assert list(Session.objects.values_list("pk", flat=True)) == [live.pk]


def test_beat_purges_sign_in_records_older_than_their_period(settings):
    settings.SIGN_IN_RETENTION_DAYS = 90
    old = timezone.now() - timedelta(days=91)
    recent = timezone.now() - timedelta(days=89)
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        fields = {"username": "nora", "ip_address": "203.0.113.5"}
        if model is AccessAttempt:
            fields.update(get_data="", post_data="", failures_since_start=1)
        if model is AccessFailureLog:
            fields.update(locked_out=False)
        for when in (old, recent):
            row = model.objects.create(**fields, user_agent=f"browser {when:%j}")
            model.objects.filter(pk=row.pk).update(attempt_time=when)

    assert housekeeping.sign_in_records_purge() == 3
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        [kept] = model.objects.all()
        assert kept.attempt_time == recent, model.__name__


def test_a_worker_registers_the_housekeeping_tasks(monkeypatch):
    """What a worker imports at start (its loader's default modules) includes
    cardinal.tasks, which no app's autodiscovery would find."""
    loader = celery_app.loader
    imported = []
    real = loader.import_task_module
    monkeypatch.setattr(
        loader, "import_task_module", lambda name: imported.append(name) or real(name)
    )
    loader.import_default_modules()
    assert "cardinal.tasks" in imported
    assert housekeeping.sessions_purge_expired.name in celery_app.tasks


def test_beat_runs_every_housekeeping_task_hourly_and_every_entry_is_known():
    """Beat names tasks by string: each housekeeping entry must reach its task
    (registered by settings.CELERY_IMPORTS) and fall due an hour after its last run."""
    celery_app.loader.import_default_modules()
    housekeeping_tasks = {
        housekeeping.sessions_purge_expired.name,
        housekeeping.sign_in_records_purge.name,
    }
    pipeline = {
        tasks.intakes_requeue_unnotified.name,
        tasks.intakes_escalate_overdue.name,
        tasks.intakes_anonymise_expired.name,
    }
    # The weekly link check of the sources: tests/education/test_link_check.py.
    weekly = {"education.tasks.sources_check_links"}
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert {entry["task"] for entry in schedule.values()} == housekeeping_tasks | pipeline | weekly
    now = celery_app.now()
    for name, entry in schedule.items():
        if entry["task"] not in housekeeping_tasks:
            continue
        scheduled = ScheduleEntry(name=name, app=celery_app, **entry)
        assert scheduled.task in celery_app.tasks, name
        assert scheduled.schedule.is_due(now - timedelta(seconds=3601)).is_due, name
        assert not scheduled.schedule.is_due(now - timedelta(seconds=3500)).is_due, name
        celery_app.tasks[scheduled.task].apply().get()  # runs
