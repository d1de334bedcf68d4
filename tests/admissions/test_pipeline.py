"""The notification pipeline: queued on commit, idempotent, round robin, sweeps."""

import logging
from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from celery.beat import ScheduleEntry
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from admissions import services, tasks
from admissions.models import Intake, IntakeActivity
from admissions.roles import SUPERVISORS_GROUP
from cardinal.celery import app as celery_app
from tests.admissions.helpers import PERSONAL, close_past_retention, form_data
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def backdate(intake: Intake, **delta) -> Intake:
    then = timezone.now() - timedelta(**delta)
    Intake.objects.filter(pk=intake.pk).update(created_at=then, call_after=then)
    intake.refresh_from_db()
    return intake


# --- Queueing -------------------------------------------------------------------------


def test_notification_is_queued_only_after_commit(
    client, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post("/admissions/", form_data())
    intake = Intake.objects.get()
    assert queued == []  # nothing left while the transaction was open
    assert len(callbacks) == 1
    callbacks[0]()
    assert queued == [(intake.pk,)]


def test_nothing_is_queued_when_the_transaction_rolls_back(make_intake, queued):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        make_intake()
        raise RuntimeError("something failed later in the same transaction")
    assert queued == []
    assert not Intake.objects.exists()


def test_broker_outage_keeps_the_intake_and_logs_the_id_only(
    client, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broker_down(*args):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.intake_notify, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admissions/", form_data())
    assert response.status_code == 302
    intake = Intake.objects.get()
    assert intake.notified_at is None
    warning = [r for r in caplog.records if r.levelno == logging.WARNING][0].getMessage()
    assert f"intake {intake.pk}" in warning and "sweep will retry" in warning
    assert PERSONAL["first_name"] not in caplog.text


# --- Notifying ------------------------------------------------------------------------


def test_notify_mails_a_navigator_the_reference_and_link_and_assigns_them(
    make_intake, navigator, mailoutbox, settings
):
    settings.SITE_URL = "https://staff.example.org"
    intake = make_intake()
    mailoutbox.clear()
    tasks.intake_notify.delay(intake.pk)
    intake.refresh_from_db()
    assert intake.assigned_to == navigator
    assert intake.notified_at is not None
    [mail] = mailoutbox
    assert mail.to == [navigator.email]
    assert mail.subject == f"Intake {intake.reference} waiting"
    assert f"https://staff.example.org/admin/admissions/intake/{intake.pk}/change/" in mail.body
    for value in PERSONAL.values():
        assert value not in mail.body


def test_duplicate_delivery_sends_one_mail(make_intake, navigator, mailoutbox):
    intake = make_intake()
    mailoutbox.clear()
    tasks.intake_notify.apply(args=[intake.pk])
    tasks.intake_notify.apply(args=[intake.pk])
    assert len(mailoutbox) == 1


def test_mail_error_rolls_back_and_propagates_so_the_task_retries(
    make_intake, navigator, monkeypatch
):
    intake = make_intake()

    def smtp_down(*args, **kwargs):
        raise SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(services, "send_mail", smtp_down)
    with pytest.raises(SMTPServerDisconnected):
        services.intake_notify(intake_id=intake.pk)
    intake.refresh_from_db()
    assert intake.notified_at is None and intake.assigned_to is None
    assert any(
        issubclass(SMTPServerDisconnected, kind) for kind in tasks.intake_notify.autoretry_for
    )
    assert tasks.intake_notify.retry_backoff and tasks.intake_notify.retry_jitter


def test_every_task_is_acknowledged_late_and_handed_back_if_its_worker_dies():
    """Effective options, from the global settings: a task message stays with the
    broker until the task ends, and goes back to it when the worker is lost."""
    admissions_tasks = {
        name: task for name, task in celery_app.tasks.items() if name.startswith("admissions.")
    }
    assert len(admissions_tasks) == 5  # the four of the pipeline and the ceiling alert
    for name, task in admissions_tasks.items():
        assert task.acks_late is True, name
        assert task.reject_on_worker_lost is True, name


def test_transient_mail_error_is_retried_until_it_goes_through(
    make_intake, navigator, monkeypatch, mailoutbox
):
    intake = make_intake()
    mailoutbox.clear()
    real_send_mail = services.send_mail
    failures = iter([True, True])

    def flaky(*args, **kwargs):
        if next(failures, False):
            raise ConnectionRefusedError("mail server restarting")
        return real_send_mail(*args, **kwargs)

    monkeypatch.setattr(services, "send_mail", flaky)
    # In-process runs retry at once (no countdown) when errors are not propagated.
    monkeypatch.setitem(tasks.intake_notify.app.conf, "task_eager_propagates", False)
    tasks.intake_notify.apply(args=[intake.pk])
    intake.refresh_from_db()
    assert intake.notified_at is not None
    assert len(mailoutbox) == 1


# --- The sweeps ---------------------------------------------------------------------------


def test_beat_requeues_a_lost_notification(make_intake, queued):
    lost = backdate(make_intake(), seconds=settings.ADMISSIONS_RENOTIFY_AFTER_SECONDS + 30)
    recent = make_intake()
    notified = backdate(make_intake(), minutes=10)
    Intake.objects.filter(pk=notified.pk).update(notified_at=timezone.now())
    queued.clear()

    assert tasks.intakes_requeue_unnotified() == 1
    assert queued == [(lost.pk,)]
    assert recent.pk not in [args[0] for args in queued]

    # The next minute does not queue it again; after another interval it does.
    queued.clear()
    assert services.intakes_requeue_unnotified() == 0
    later = timezone.now() + timedelta(seconds=settings.ADMISSIONS_RENOTIFY_AFTER_SECONDS + 1)
    assert services.intakes_requeue_unnotified(now=later) == 2
    assert sorted(args[0] for args in queued) == [lost.pk, recent.pk]


def test_requeued_notification_reaches_a_navigator(make_intake, navigator, mailoutbox, monkeypatch):
    monkeypatch.setattr(tasks.intake_notify, "delay", lambda *args: None)  # broker "down"
    intake = backdate(make_intake(), minutes=5)
    monkeypatch.undo()
    tasks.intakes_requeue_unnotified()
    intake.refresh_from_db()
    assert intake.notified_at is not None
    assert [mail.subject for mail in mailoutbox] == [f"Intake {intake.reference} waiting"]


def test_escalation_mails_supervisors_once_per_overdue_intake(
    make_intake, supervisor, mailoutbox, settings
):
    settings.ADMISSIONS_SLA_MINUTES = 15
    second = make_user("sue", SUPERVISORS_GROUP)
    overdue = backdate(make_intake(), minutes=20)
    fresh = backdate(make_intake(), minutes=5)
    contacted = backdate(make_intake(), minutes=30)
    services.intake_set_status(intake=contacted, status="contacted", by=None)
    closed = backdate(make_intake(), minutes=30)
    services.intake_set_status(intake=closed, status="closed", by=None)
    mailoutbox.clear()

    assert tasks.intakes_escalate_overdue() == 1
    [mail] = mailoutbox
    assert sorted(mail.to) == sorted([supervisor.email, second.email])
    assert overdue.reference in mail.subject
    assert overdue.admin_url() in mail.body
    for value in PERSONAL.values():
        assert value not in mail.body
    overdue.refresh_from_db()
    assert overdue.escalated_at is not None

    assert tasks.intakes_escalate_overdue() == 0  # once per intake
    assert len(mailoutbox) == 1
    fresh.refresh_from_db()
    assert fresh.escalated_at is None


def test_escalation_without_supervisors_leaves_intakes_for_the_next_run(make_intake, caplog):
    intake = backdate(make_intake(), minutes=60)
    assert services.intakes_escalate_overdue() == 0
    intake.refresh_from_db()
    assert intake.escalated_at is None
    assert "no supervisor" in caplog.text


def test_retention_anonymises_closed_intakes_past_the_period_only(make_intake, navigator, settings):
    settings.ADMISSIONS_RETENTION_DAYS = 30
    old = make_intake()
    services.intake_log_activity(intake=old, author=navigator, kind="note", note="Thaddeus")
    close_past_retention(old, by=navigator)
    recently_closed = make_intake()
    services.intake_set_status(intake=recently_closed, status="closed", by=navigator)
    open_but_old = make_intake()
    Intake.objects.filter(pk=open_but_old.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )

    assert tasks.intakes_anonymise_expired() == 1

    old.refresh_from_db()
    for name in Intake.PERSONAL_FIELDS:
        assert getattr(old, name) == "", name
    assert old.phone_hash == "" and old.anonymised_at is not None
    assert old.reference and old.status == "closed"  # statistics stay
    assert not IntakeActivity.objects.filter(intake=old).exclude(note="").exists()
    for kept in (recently_closed, open_but_old):
        kept.refresh_from_db()
        assert kept.first_name == PERSONAL["first_name"] and kept.anonymised_at is None

    assert tasks.intakes_anonymise_expired() == 0


def test_anonymised_intake_is_never_notified(make_intake, navigator, mailoutbox):
    intake = make_intake()
    Intake.objects.filter(pk=intake.pk).update(anonymised_at=timezone.now())
    mailoutbox.clear()
    assert services.intake_notify(intake_id=intake.pk) is False
    assert mailoutbox == []


def test_beat_sends_each_sweep_to_its_task_once_a_minute():
    """Beat names tasks by string: each entry must reach the task that runs the
    sweep, fall due a minute after its last run, and not before."""
    sweeps = {
        tasks.intakes_requeue_unnotified: services.intakes_requeue_unnotified,
        tasks.intakes_escalate_overdue: services.intakes_escalate_overdue,
        tasks.intakes_anonymise_expired: services.intakes_anonymise_expired,
    }
    entries = [
        ScheduleEntry(name=name, app=celery_app, **entry)
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"].startswith("admissions.")  # test_retention.py: the others
    ]
    assert sorted(entry.task for entry in entries) == sorted(task.name for task in sweeps)
    now = celery_app.now()
    for entry in entries:
        task = celery_app.tasks[entry.task]
        assert task.name.rsplit(".", 1)[1] == sweeps[task].__name__  # named as its service
        assert entry.schedule.is_due(now - timedelta(seconds=61)).is_due, entry.name
        assert not entry.schedule.is_due(now - timedelta(seconds=59)).is_due, entry.name
        assert task.apply().get() == 0, entry.name  # runs the sweep: nothing to do
