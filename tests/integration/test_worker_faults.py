"""The worker's own faults, on the worker as deploy/Procfile runs it (under
scripts/keep-running, prefork with two pool processes), debug off, on the test
database, with a Redis server of its own and an SMTP server on loopback that holds
a message, so that a task is in the middle of its mail when the fault comes:

- a pool process killed: the broker hands the message out again
  (task_reject_on_worker_lost) and the mail goes out once;
- Redis killed again and again: the worker rides each outage out, the same
  process all along, and every mail goes out once;
- Redis killed while both pool processes are busy, their acks failing: the worker
  reconnects (cardinal.celery.Request) and takes the next task;
- the Celery process itself killed: scripts/keep-running starts it again.

No beat runs here: its sweep, which queues again any intake left unnotified, would
stand in for a message the worker lost. The tests save intakes in this process
and queue their notifications on the stack's Redis, as the web process does.
"""

import os
import re
import signal
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from celery import Celery
from django.db import transaction

from admissions import services
from admissions.models import Intake
from tests.admissions.helpers import PERSONAL, PHONE_E164
from tests.harness import (
    SmtpSink,
    descendants,
    parent_pid,
    tcp_socket_owner,
    wait_until,
)
from tests.integration.processes import (
    CeleryWorker,
    RedisServer,
    broker_idle,
    database_url,
    lock_waiters,
    production_env,
    runner_started,
)

pytestmark = pytest.mark.django_db(transaction=True)

OUTAGES = 5  # Redis killed this many times in one test
VISIBILITY_TIMEOUT = 5  # CELERY_VISIBILITY_TIMEOUT (production: 300)


@dataclass
class Stack:
    redis: RedisServer
    smtp: SmtpSink
    worker: CeleryWorker
    env: dict[str, str]

    def repair(self) -> None:
        """Bring back whatever a failed test left down."""
        self.smtp.release()
        self.smtp.up()
        if not self.redis.running:
            self.redis.start()
        if not self.worker.running:
            self.worker.kill()  # what is left of its process group
            self.worker.start()


@pytest.fixture(scope="module")
def stack(django_db_setup):
    redis = RedisServer()
    redis.start()
    smtp = SmtpSink().up()
    env = production_env(
        REDIS_URL=redis.url,
        DATABASE_URL=database_url(),
        **smtp.env,
        EMAIL_TIMEOUT="30",  # longer than any hold of a message at the server
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
    )
    worker = CeleryWorker(env, name=f"worker-{redis.port}")
    stack = Stack(redis=redis, smtp=smtp, worker=worker, env=env)
    try:
        worker.start()
        yield stack
    finally:
        worker.stop()
        redis.stop()
        smtp.release()
        smtp.down()


@pytest.fixture
def running(stack, settings):
    """The stack, whole again, with an empty mailbox; this process writes with the
    stack's keys."""
    settings.FIELD_ENCRYPTION_KEY = stack.env["FIELD_ENCRYPTION_KEY"]
    settings.FIELD_HASH_KEY = stack.env["FIELD_HASH_KEY"]
    stack.repair()
    stack.smtp.clear()
    yield stack
    stack.smtp.release()


def save_intake(monkeypatch) -> Intake:
    """An intake as the form saves it, its notification not queued (notify() does that)."""
    monkeypatch.setattr(services, "queue_notification", lambda intake_id: None)
    return services.intake_submit(
        first_name=PERSONAL["first_name"],
        phone=PHONE_E164,
        who_needs_help="loved_one",
        best_time="evening",
        voicemail_ok=False,
        contact_method="call",
        consent_page="/admissions/",
    )


def notify(stack: Stack, intake: Intake) -> str:
    """Queue the intake's notification on the stack's Redis; the task's id."""
    app = Celery("web", broker=stack.redis.url, set_as_current=False)
    try:
        return app.send_task("admissions.tasks.intake_notify", args=[intake.pk]).id
    finally:
        app.close()


def received(log: str) -> list[str]:
    """Ids of the intake_notify task messages the worker took, in order."""
    return re.findall(r"intake_notify\[([0-9a-f-]+)\] received", log)


def mail_in_progress(stack: Stack) -> None:
    wait_until(lambda: stack.smtp.holding == 1, 20, what="a mail in the middle of DATA")


def assert_each_mailed_once(stack: Stack, references: set[str]) -> None:
    """Every reference mailed exactly once, counted once nothing is left to mail (no
    task message waiting or taken and not acknowledged, no mail in DATA)."""
    stack.smtp.wait_for(len(references), timeout=20)
    wait_until(
        lambda: (
            stack.smtp.holding == 0
            and broker_idle(stack.redis.url)
            and not Intake.objects.filter(notified_at__isnull=True).exists()
        ),
        VISIBILITY_TIMEOUT + 10,
        looks=2,
        what="the stack to have nothing left to mail",
    )
    subjects = Counter(message["Subject"] for message in stack.smtp.messages)
    assert subjects == Counter(f"Intake {reference} waiting" for reference in references)


def test_pool_process_killed_in_the_middle_of_a_mail_sends_it_exactly_once(
    running, navigator, monkeypatch
):
    smtp, worker = running.smtp, running.worker
    celery = worker.celery_pid
    mark = worker.log_mark()
    smtp.hold()
    intake = save_intake(monkeypatch)
    task = notify(running, intake)
    mail_in_progress(running)

    # The pool process on the other end of the mail's connection, and it alone.
    [(_, port)] = smtp.held_peers
    pool_process = tcp_socket_owner(port, descendants(worker.process.pid))
    assert pool_process is not None and parent_pid(pool_process) == celery
    os.kill(pool_process, signal.SIGKILL)
    wait_until(lambda: smtp.abandoned == 1, 10, what="the mail's connection to drop")
    intake.refresh_from_db()
    assert intake.notified_at is None and intake.assigned_to_id is None  # rolled back

    # The broker hands the message out again; no sweep runs that could queue another.
    wait_until(lambda: received(worker.log_since(mark)) == [task, task], 20, what="redelivery")
    mail_in_progress(running)
    smtp.release()
    assert_each_mailed_once(running, {intake.reference})
    assert smtp.abandoned == 1  # the mail of the killed process was never accepted
    intake.refresh_from_db()
    assert intake.notified_at is not None and intake.assigned_to == navigator
    assert worker.running and worker.celery_pid == celery  # the worker itself lived on
    assert runner_started(worker.log_since(mark)) == []


def test_redis_killed_again_and_again_in_the_middle_of_a_mail_the_worker_rides_it_out(
    running, navigator, monkeypatch
):
    smtp, redis, worker = running.smtp, running.redis, running.worker
    celery = worker.celery_pid
    mark = worker.log_mark()
    references = set()
    for outage in range(1, OUTAGES + 1):
        smtp.hold()
        intake = save_intake(monkeypatch)
        references.add(intake.reference)
        notify(running, intake)
        mail_in_progress(running)

        redis.kill()  # the broker, and the message of the task that is running
        if outage % 2:  # the mail ends while Redis is down, or once it is back
            smtp.release()
        redis.start()
        smtp.release()
        wait_until(lambda: len(smtp.messages) == len(references), 20, what=f"mail {outage}")
        log = worker.log_since(mark)
        assert "Unrecoverable error" not in log, f"the worker crashed in outage {outage}"
        assert log.count("Connection to broker lost") >= outage

    intake = save_intake(monkeypatch)  # and the worker still takes tasks
    references.add(intake.reference)
    notify(running, intake)
    assert_each_mailed_once(running, references)
    assert worker.running and worker.celery_pid == celery  # the same process all along
    assert runner_started(worker.log_since(mark)) == []


def acks_failed(log: str, count: int) -> bool:
    """Whether the worker has tried to acknowledge `count` messages on a broker that
    is gone: kombu logs each failure it swallows ("Couldn't ack"); with
    cardinal.celery.Request the consumer finds its connection lost instead."""
    return log.count("Couldn't ack") >= count or "Connection to broker lost" in log


def test_redis_killed_while_every_pool_process_is_busy_the_worker_reconnects_for_the_next_task(
    running, navigator, monkeypatch
):
    smtp, redis, worker = running.smtp, running.redis, running.worker
    celery = worker.celery_pid
    mark = worker.log_mark()
    busy = [save_intake(monkeypatch) for _ in range(2)]
    # Both pool processes at work, waiting for rows a navigator's change holds. With
    # one message prefetched per process, the worker takes no other meanwhile, so
    # it is not reading from Redis when Redis goes.
    with transaction.atomic():
        list(Intake.objects.select_for_update().filter(pk__in=[i.pk for i in busy]))
        for intake in busy:
            notify(running, intake)
        wait_until(lambda: lock_waiters() == 2, 20, what="both tasks to wait for their rows")
        redis.kill()
    # Both tasks end while Redis is down, and their acknowledgements fail.
    wait_until(lambda: len(smtp.messages) == 2, 20, what="the two mails")
    wait_until(lambda: acks_failed(worker.log_since(mark), 2), 20, what="the failed acks")
    redis.start()

    intake = save_intake(monkeypatch)  # the next task, queued once Redis is back
    notify(running, intake)
    wait_until(lambda: len(smtp.messages) == 3, 20, what="the worker to take the next task")
    assert_each_mailed_once(running, {*(i.reference for i in busy), intake.reference})
    assert worker.running and worker.celery_pid == celery  # it reconnected, the same process
    assert runner_started(worker.log_since(mark)) == []


def test_procfile_runner_starts_a_dead_worker_again_and_passes_a_stop_on(
    running, navigator, monkeypatch
):
    worker = running.worker
    celery = worker.celery_pid
    mark = worker.log_mark()
    os.kill(celery, signal.SIGKILL)  # the Celery process alone, as the OOM killer does
    worker.wait_ready(mark, timeout=30)
    log = worker.log_since(mark)
    assert "celery exited with status 137; starting it again in 1s" in log
    [restarted] = runner_started(log)
    assert restarted != celery and worker.celery_pid == restarted
    intake = save_intake(monkeypatch)
    notify(running, intake)
    assert_each_mailed_once(running, {intake.reference})

    # A stop asked for (SIGTERM, as honcho and systemd send) is passed on, and ends it.
    worker.process.terminate()
    worker.process.wait(timeout=20)
    assert not Path(f"/proc/{restarted}").exists()
    assert runner_started(worker.log_since(mark)) == [restarted]
    worker.kill()  # the pool processes the first, killed, Celery process left behind
