"""Routing on the real Redis and a real Celery worker process, mail at a real SMTP
server on loopback: an intake nobody on duty can take reaches the on-call inbox
and the supervisors at once, exactly once, and waits unassigned.

Closed hours: a worker of this module's own (deploy/Procfile's command, debug
off), with a Redis server of its own, for which today and the days either side
are holidays (ADMISSIONS_CLOSED_DATES), so it is closed whatever the hour.
Open with nobody on duty: the session's worker (tests/integration/conftest.py),
on the embedded default on-call address.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from celery import Celery
from django.conf import settings

from admissions import services
from admissions.models import Intake, IntakeActivity
from admissions.roles import NAVIGATORS_GROUP, SUPERVISORS_GROUP
from tests.admissions.helpers import on_duty
from tests.factories import make_user
from tests.harness import SmtpSink, wait_until
from tests.integration.processes import (
    CeleryWorker,
    RedisServer,
    broker_idle,
    database_url,
    production_env,
)
from tests.integration.test_intake_pipeline import assert_no_personal_data, submit
from tests.integration.test_worker_faults import save_intake

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_fill_time")]

ONCALL = "on-call@cardinal.example"


@dataclass
class ClosedStack:
    redis: RedisServer
    smtp: SmtpSink
    worker: CeleryWorker
    env: dict[str, str]

    def notify(self, intake: Intake) -> None:
        """Queue the intake's notification on this stack's Redis, as the web process does."""
        app = Celery("web", broker=self.redis.url, set_as_current=False)
        try:
            app.send_task("admissions.tasks.intake_notify", args=[intake.pk])
        finally:
            app.close()

    def wait_idle(self) -> None:
        wait_until(lambda: broker_idle(self.redis.url), 20, looks=2, what="the worker's tasks")


def holidays_around_today() -> str:
    today = datetime.now(ZoneInfo(settings.TIME_ZONE)).date()
    return ",".join(str(today + timedelta(days=offset)) for offset in (-1, 0, 1))


@pytest.fixture(scope="module")
def closed_stack(django_db_setup):
    redis = RedisServer().start()
    smtp = SmtpSink().up()
    env = production_env(
        REDIS_URL=redis.url,
        DATABASE_URL=database_url(),
        ADMISSIONS_CLOSED_DATES=holidays_around_today(),
        ADMISSIONS_ONCALL_EMAIL=ONCALL,
        **smtp.env,
    )
    worker = CeleryWorker(env, name=f"worker-closed-{redis.port}")
    try:
        worker.start()
        yield ClosedStack(redis=redis, smtp=smtp, worker=worker, env=env)
    finally:
        worker.stop()
        redis.stop()
        smtp.down()


@pytest.fixture
def closed(closed_stack, settings):
    """The closed stack with an empty mailbox; this process writes with its keys."""
    settings.FIELD_ENCRYPTION_KEY = closed_stack.env["FIELD_ENCRYPTION_KEY"]
    settings.FIELD_HASH_KEY = closed_stack.env["FIELD_HASH_KEY"]
    closed_stack.smtp.clear()
    return closed_stack


def oncall_kinds(intake: Intake) -> list[str]:
    kinds = [IntakeActivity.Kind.ONCALL_CLOSED, IntakeActivity.Kind.ONCALL_NOBODY]
    return list(intake.activities.filter(kind__in=kinds).values_list("kind", flat=True))


@pytest.mark.parametrize("navigators", ["nobody on duty", "a navigator on duty"])
def test_closed_hours_intake_reaches_the_oncall_inbox_at_once_and_exactly_once(
    closed, monkeypatch, navigators
):
    supervisor = make_user("sam", SUPERVISORS_GROUP)
    if navigators == "a navigator on duty":
        on_duty(make_user("nora", NAVIGATORS_GROUP))  # available at night: closed is closed
    intake = save_intake(monkeypatch)
    for _ in range(2):  # a duplicate delivery too
        closed.notify(intake)

    [message] = closed.smtp.wait_for(1)
    assert message["X-Envelope-To"] == f"{ONCALL}, {supervisor.email}"
    assert message["Subject"] == f"Intake {intake.reference} waiting: admissions is closed"
    body = message.get_payload(decode=True).decode()
    assert "nobody was on duty" in body
    assert f"https://cardinal.example/admin/admissions/intake/{intake.pk}/change/" in body
    assert_no_personal_data(message)

    closed.wait_idle()
    assert len(closed.smtp.messages) == 1
    intake.refresh_from_db()
    assert intake.notified_at is not None and intake.assigned_to is None
    assert oncall_kinds(intake) == ["oncall_closed"]
    assert services.intakes_requeue_unnotified() == 0  # the sweep has nothing to send again


def test_open_with_nobody_on_duty_tells_the_default_oncall_inbox(
    celery_worker_process, mailbox, client
):
    """The session's worker has no ADMISSIONS_ONCALL_EMAIL: the embedded default."""
    assert submit(client).status_code == 302
    [message] = mailbox.wait_for(1)
    intake = Intake.objects.get()
    assert message["X-Envelope-To"] == "on-call@localhost"
    assert message["Subject"] == f"Intake {intake.reference} waiting: nobody on duty"
    assert_no_personal_data(message)
    wait_until(
        lambda: Intake.objects.filter(pk=intake.pk, notified_at__isnull=False).exists(),
        10,
        what="the intake to be marked notified",
    )
    intake.refresh_from_db()
    assert intake.assigned_to is None and oncall_kinds(intake) == ["oncall_nobody"]
