"""Fault injection: nothing a person sends is ever lost, and nothing is mailed twice.

One production-like stack serves the module: gunicorn, a Celery worker and beat,
started with the commands of deploy/Procfile and DJANGO_DEBUG off, on the test
database (the web process reaches it through a proxy the tests can cut), a Redis
server of their own that the tests kill, and an SMTP server on loopback that the
tests take down or make hold a message. Visitors come through an nginx-like
proxy: X-Forwarded-Proto https and an X-Forwarded-For address each.

The re-queue interval and the sweep's period are short here (environment
variables of the real settings) so that the recovery paths run in seconds.
"""

import itertools
import re
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from django.db import connection

from admissions.models import Intake
from admissions.roles import NAVIGATORS_GROUP
from tests.admissions.helpers import PERSONAL, PHONE_E164, on_duty
from tests.factories import make_user
from tests.harness import ROOT, SmtpSink, sleep_until, wait_until
from tests.integration.processes import (
    REFERENCE,
    CeleryBeat,
    CeleryWorker,
    GunicornServer,
    RedisServer,
    TcpProxy,
    WebClient,
    broker_idle,
    database_url,
    lock_waiters,
    open_form,
    send_form,
)
from tests.integration.processes import production_env as production_settings

pytestmark = pytest.mark.django_db(transaction=True)

RENOTIFY_AFTER = 10  # ADMISSIONS_RENOTIFY_AFTER_SECONDS (production: 120)
SWEEP_EVERY = 2  # ADMISSIONS_SWEEP_SECONDS (production: 60)
VISIBILITY_TIMEOUT = 5  # CELERY_VISIBILITY_TIMEOUT (production: 300)
MIN_FILL = 1  # ADMISSIONS_MIN_FILL_SECONDS (production: 3)
ADDRESSES = itertools.count()


@pytest.fixture(scope="session")
def production_env():
    """Settings as in production: debug off, throwaway secrets."""
    return production_settings()


@pytest.fixture(scope="session")
def static_root(production_env, tmp_path_factory):
    """collectstatic into a temporary STATIC_ROOT, once a session, in the background
    (compressing the static files takes a while): call it for the path, once done."""
    root = tmp_path_factory.mktemp("static")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={**production_env, "STATIC_ROOT": str(root)},
    )

    def collected() -> str:
        if process.wait(timeout=300) != 0:
            raise RuntimeError("collectstatic failed")
        return str(root)

    yield collected
    process.kill()
    process.wait()


@dataclass
class Stack:
    redis: RedisServer
    database: TcpProxy
    smtp: SmtpSink
    web: GunicornServer | None
    worker: CeleryWorker
    beat: CeleryBeat

    def visitors(self, count: int) -> list[WebClient]:
        """People on addresses of their own (none seen before by this stack)."""
        return [
            WebClient(self.web.url, address=f"10.0.{n // 250}.{n % 250 + 1}")
            for n in itertools.islice(ADDRESSES, count)
        ]

    def repair(self) -> None:
        """Bring back whatever a failed test left down."""
        self.smtp.release()
        self.smtp.up()
        if self.database.is_cut:
            self.database.restore()
        if not self.redis.running:
            self.redis.start()
        if not self.worker.running:
            self.worker.start()
        if not self.beat.running:
            self.beat.start()

    def stop(self) -> None:
        for process in (self.beat, self.worker, self.web, self.redis):
            if process is not None:
                process.stop()
        self.database.stop()
        self.smtp.release()
        self.smtp.down()


@pytest.fixture(scope="module")
def stack(django_db_setup, production_env, static_root, tmp_path_factory):
    conf = connection.settings_dict
    redis = RedisServer()
    redis.start()
    database = TcpProxy(int(conf["PORT"] or 5432), conf["HOST"] or "127.0.0.1")
    database.start()
    smtp = SmtpSink().up()
    env = {
        **production_env,
        "REDIS_URL": redis.url,
        "DATABASE_URL": database_url(),
        **smtp.env,
        "EMAIL_TIMEOUT": "30",  # longer than any hold of a message at the server
        "ADMISSIONS_RENOTIFY_AFTER_SECONDS": str(RENOTIFY_AFTER),
        "ADMISSIONS_SWEEP_SECONDS": str(SWEEP_EVERY),
        "ADMISSIONS_MIN_FILL_SECONDS": str(MIN_FILL),
        # 200 people at once is the point of one test: lift the ceiling for everyone.
        "ADMISSIONS_GLOBAL_LIMIT_PER_MINUTE": "0",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "CELERY_BEAT_SCHEDULE_FILE": str(tmp_path_factory.mktemp("beat") / "schedule"),
    }
    worker = CeleryWorker(env, name=f"worker-{redis.port}")
    beat = CeleryBeat(env, name=f"beat-{redis.port}")
    # Only the web process goes through the proxy the database test cuts.
    web_env = {**env, "DATABASE_URL": database_url(port=database.port)}
    stack = Stack(redis=redis, database=database, smtp=smtp, web=None, worker=worker, beat=beat)
    try:
        worker.start()
        beat.start()
        stack.web = GunicornServer({**web_env, "STATIC_ROOT": static_root()})
        stack.web.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def running(stack, production_env, settings):
    """The stack, whole again, with an empty mailbox; this process reads what the
    stack's processes wrote (their keys)."""
    settings.FIELD_ENCRYPTION_KEY = production_env["FIELD_ENCRYPTION_KEY"]
    settings.FIELD_HASH_KEY = production_env["FIELD_HASH_KEY"]
    stack.repair()
    stack.smtp.clear()
    yield stack
    stack.smtp.release()


# --- A visitor's steps ---------------------------------------------------------------------


def fill_in() -> None:
    """Take as long as a person, once the forms are served: the form refuses answers
    sent within MIN_FILL seconds of serving it (a bot's pace). Time passing is the
    condition here, and nothing but the clock shows it."""
    time.sleep(MIN_FILL + 0.1)


def submit_all(clients: list[WebClient], threads: int) -> list[tuple[int, str]]:
    """Each client opens the form, all fill it in, then all send it at once."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        forms = list(pool.map(open_form, clients))
        fill_in()
        return list(pool.map(send_form, clients, forms))


# --- Checks ----------------------------------------------------------------------------------


def mailed_references(messages) -> Counter:
    references = Counter()
    for message in messages:
        match = re.fullmatch(r"Intake (CR-\w+) waiting", message["Subject"])
        assert match, message["Subject"]
        references[match.group(1)] += 1
    return references


def assert_no_personal_data(messages) -> None:
    for message in messages:
        text = message.as_string()
        for value in [*PERSONAL.values(), PHONE_E164]:
            assert value not in text


def nothing_left_to_mail(stack: Stack) -> bool:
    """Every intake is notified, no task message waits or runs (a worker acknowledges
    one once it has run), and no mail is in the middle of DATA: from here on no
    task can send a mail, and a new one (the sweep's) finds nothing to notify."""
    return (
        stack.smtp.holding == 0
        and not Intake.objects.filter(notified_at__isnull=True).exists()
        and broker_idle(stack.redis.url)
    )


def assert_each_mailed_once(stack: Stack, references: set[str], timeout: float) -> float:
    """Every reference mailed exactly once, counted once nothing is left to mail.
    Returns the seconds the last expected mail took to come."""
    started = time.monotonic()
    stack.smtp.wait_for(len(references), timeout=timeout)
    took = time.monotonic() - started
    wait_until(
        lambda: nothing_left_to_mail(stack),
        VISIBILITY_TIMEOUT + RENOTIFY_AFTER + 2 * SWEEP_EVERY,
        looks=2,
        what="the stack to have nothing left to mail",
    )
    messages = stack.smtp.messages
    assert mailed_references(messages) == Counter(references)
    assert_no_personal_data(messages)
    return took


def stored_references() -> set[str]:
    return set(Intake.objects.values_list("reference", flat=True))


# --- The scenarios -----------------------------------------------------------------------------


def test_database_outage_answers_a_friendly_503_and_the_site_recovers_by_itself(running, navigator):
    [visitor] = running.visitors(1)
    data = open_form(visitor)
    fill_in()

    running.database.cut()
    response = visitor.post("/admissions/", data)
    assert response.status == 503
    assert 'href="tel:' in response.text and "call us" in response.text.lower()
    for leak in ("Traceback", "OperationalError", "psycopg", "could not connect", "5432"):
        assert leak not in response.text
    home = visitor.get("/")  # any page that reads the database
    assert home.status == 503 and 'href="tel:' in home.text
    ready = visitor.get("/readyz")
    assert ready.status == 503
    assert '"database": "unavailable"' in ready.text
    assert visitor.get("/healthz").status == 200  # alive: nothing to restart
    assert not Intake.objects.exists()

    running.database.restore()
    wait_until(lambda: visitor.get("/readyz").status == 200, 10, what="/readyz to be ready")
    status, reference = send_form(visitor, data)
    assert status == 302
    assert stored_references() == {reference}
    assert_each_mailed_once(running, {reference}, timeout=10)


def test_redis_down_while_twenty_people_submit_loses_nothing_and_mails_each_once(
    running, navigator
):
    running.redis.kill()  # the broker and the cache, and every message it held
    results = submit_all(running.visitors(20), threads=10)

    assert [status for status, _ in results] == [302] * 20  # all saw their confirmation
    references = {reference for _, reference in results}
    assert len(references) == 20
    assert stored_references() == references
    assert not Intake.objects.filter(notified_at__isnull=False).exists()
    assert running.smtp.messages == []

    running.redis.start()
    took = assert_each_mailed_once(running, references, timeout=RENOTIFY_AFTER + 30)
    # Within the re-queue interval (plus one sweep period and the worker's reconnection).
    assert took <= RENOTIFY_AFTER + 2 * SWEEP_EVERY + 6, took


def retried_tasks(log: str) -> Counter:
    """How many times the worker scheduled each intake_notify task (by id) again
    after a failure."""
    return Counter(re.findall(r"intake_notify\[([0-9a-f-]+)\] retry: Retry in \d+s", log))


def test_mail_server_outage_is_retried_with_backoff_and_every_mail_arrives_once(running, navigator):
    running.beat.stop()  # no sweep: only the task's own retries can deliver
    try:
        running.smtp.down()
        mark = running.worker.log_mark()
        results = submit_all(running.visitors(5), threads=5)
        references = {reference for status, reference in results if status == 302}
        assert len(references) == 5
        # Each notification failed at least once and was scheduled to run again.
        wait_until(
            lambda: len(retried_tasks(running.worker.log_since(mark))) == 5,
            20,
            what="every notification to be retried",
        )
        # Then failed once more, after its backoff: no failed attempt marked an intake.
        wait_until(
            lambda: min(retried_tasks(running.worker.log_since(mark)).values()) >= 2,
            30,
            what="every notification to be retried a second time",
        )
        assert not Intake.objects.filter(notified_at__isnull=False).exists()

        running.smtp.up()
        assert_each_mailed_once(running, references, timeout=90)
        assert not Intake.objects.filter(notified_at__isnull=True).exists()
        assert not Intake.objects.filter(requeued_at__isnull=False).exists()
    finally:
        running.beat.start()


def received_notifications(log: str) -> list[str]:
    """Ids of the intake_notify task messages the worker took, in order."""
    return re.findall(r"intake_notify\[([0-9a-f-]+)\] received", log)


def test_worker_killed_in_the_middle_of_a_mail_sends_it_exactly_once_after_restart(
    running, navigator
):
    smtp, worker = running.smtp, running.worker
    smtp.hold()
    mark = worker.log_mark()
    [(status, reference)] = submit_all(running.visitors(1), threads=1)
    assert status == 302
    wait_until(lambda: smtp.holding == 1, 10, what="the mail to be in the middle of DATA")
    [killed_task] = received_notifications(worker.log_since(mark))

    worker.kill()  # SIGKILL, pool processes and all, before the server's reply
    wait_until(lambda: smtp.abandoned == 1, 10, what="the mail's connection to drop")
    intake = Intake.objects.get()
    assert intake.notified_at is None and intake.assigned_to_id is None  # rolled back

    # Restart once the broker would hand the unacknowledged message out again and
    # the intake is due for the sweep: two copies of the same notification.
    # Both are timers on the wall clock, in the broker and in the sweep's query.
    sleep_until(
        intake.created_at.timestamp() + max(RENOTIFY_AFTER, VISIBILITY_TIMEOUT) + 0.5,
        clock=time.time,
    )
    mark = worker.log_mark()
    worker.start()
    # One copy holds its mail at the server, the intake's row locked; the sweep,
    # having found the intake not notified, waits for that lock to re-queue it
    # (without the lock, the sweep's copy would be holding a second mail).
    wait_until(lambda: smtp.holding + lock_waiters() >= 2, 20, what="both copies to be in flight")
    handed_out_again = killed_task in received_notifications(worker.log_since(mark))
    assert handed_out_again, "the broker never gave the killed task's message back"
    smtp.release()

    assert_each_mailed_once(running, {reference}, timeout=10)
    intake.refresh_from_db()
    assert intake.notified_at is not None and intake.assigned_to == navigator
    assert intake.requeued_at is not None  # the sweep's copy ran, and sent nothing
    assert smtp.messages[0]["X-Envelope-To"] == navigator.email


@pytest.fixture
def navigators(navigator):
    omar = make_user("omar", NAVIGATORS_GROUP)
    on_duty(omar)  # both on duty: the round robin shares the intakes
    return [navigator, omar]


def test_two_hundred_concurrent_submissions_are_all_saved_and_mailed_once(running, navigators):
    mark = running.web.log_mark()
    results = submit_all(running.visitors(200), threads=200)

    assert Counter(status for status, _ in results) == {302: 200}
    references = {reference for _, reference in results}
    assert len(references) == 200
    assert stored_references() == references
    assert_each_mailed_once(running, references, timeout=60)

    assigned = dict(Intake.objects.values_list("reference", "assigned_to__email"))
    for message in running.smtp.messages:
        reference = REFERENCE.search(message["Subject"]).group(0)
        assert message["X-Envelope-To"] == assigned[reference]
    statuses = re.findall(r'^\S+ "[A-Z]+ \S+" (\d{3}) ', running.web.log_since(mark), re.M)
    assert len(statuses) >= 600  # GET form, POST, GET thanks: each in the access log
    assert not [status for status in statuses if status.startswith("5")]
