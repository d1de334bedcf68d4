"""One beat sends, however many run (cardinal/beat.py), on the real Redis (REDIS_URL).

The schedulers here are the shipped class on a Celery app of their own (its broker
the same Redis), with one entry due every 0.1 s, driven tick by tick; what each
would send is recorded, not sent. The last test starts two real `celery beat`
processes with the Procfile's command and reads their logs.
"""

import os
import time
import uuid

import pytest
import redis
from celery import Celery

from cardinal.beat import LOCK_KEY, SingleBeatScheduler
from tests.harness import child_env, free_port, sleep_until, wait_until
from tests.integration.processes import CeleryBeat, database_url

LOCK_SECONDS = 1.0


class RecordingScheduler(SingleBeatScheduler):
    """Records each entry it would send instead of sending it."""

    def __init__(self, *args, **kwargs):
        self.sent: list[str] = []
        super().__init__(*args, **kwargs)

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        self.sent.append(entry.name)


@pytest.fixture
def lock_key():
    key = f"test:{LOCK_KEY}:{uuid.uuid4().hex}"
    yield key
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.delete(key)
    client.close()


@pytest.fixture
def make_beat(tmp_path, lock_key):
    app = Celery("beat-test", broker=os.environ["REDIS_URL"], set_as_current=False)
    app.conf.beat_schedule = {"often": {"task": "beat-test.often", "schedule": 0.1}}
    made = []

    def make(name: str) -> RecordingScheduler:
        # The lock is on the broker's Redis.
        scheduler = RecordingScheduler(
            app=app,
            schedule_filename=str(tmp_path / name),
            lock_seconds=LOCK_SECONDS,
            lock_key=lock_key,
        )
        made.append(scheduler)
        return scheduler

    yield make
    for scheduler in made:
        scheduler.close()


def run(*beats: RecordingScheduler, seconds: float) -> None:
    """Tick each beat in turn, as its own loop would, for `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for beat in beats:
            beat.tick()
        time.sleep(0.02)


def test_of_two_beats_only_one_sends(make_beat):
    first, second = make_beat("first"), make_beat("second")
    run(first, second, seconds=1.5)
    senders = [beat for beat in (first, second) if beat.sent]
    assert len(senders) == 1
    assert len(senders[0].sent) >= 5


def test_when_the_holder_stops_renewing_the_other_takes_over_and_the_first_stops(make_beat):
    first, second = make_beat("first"), make_beat("second")
    run(first, second, seconds=0.5)
    assert first.sent and not second.sent

    # The first beat freezes (a paused VM, a hung host): it no longer renews. Once
    # the lock has expired in Redis, the second one takes it and sends.
    wait_until(lambda: (second.tick(), second.sent)[1], 10, interval=0.05, what="a takeover")

    # The first wakes up: told that another holds the lock, it sends nothing more.
    sent_before = len(first.sent)
    run(first, second, seconds=1.0)
    assert len(first.sent) == sent_before
    assert len(second.sent) >= 5


def test_a_beat_stopped_cleanly_hands_over_at_once(make_beat):
    first, second = make_beat("first"), make_beat("second")
    run(first, second, seconds=0.3)
    assert first.sent and not second.sent
    first.close()  # as `celery beat` does on SIGTERM
    second.tick()
    assert second.holds_lock()


def test_a_beat_that_cannot_reach_redis_stops_sending_before_its_lock_could_expire(
    make_beat, lock_key
):
    beat = make_beat("cut-off")
    run(beat, seconds=0.3)
    assert beat.sent
    # It trusts its hold for less time than Redis keeps the key.
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    expires_in = client.pttl(lock_key) / 1000
    client.close()
    assert beat.valid_until < time.monotonic() + expires_in
    # Redis is out of reach: renewals fail, so the hold is trusted only until the
    # last renewal's margin runs out, before Redis lets the key go.
    renewed_until = beat.valid_until
    beat.redis = redis.Redis(port=free_port(), socket_connect_timeout=0.2)
    sleep_until(renewed_until)
    sent_before = len(beat.sent)
    run(beat, seconds=0.5)
    assert len(beat.sent) == sent_before


def test_two_beat_processes_one_sends_then_the_other_after_it_stops(tmp_path):
    """The Procfile's beat, twice, on the real Redis: one sends the sweeps, the
    other stands by; stopped, the first hands over to the second."""
    env = child_env(
        DJANGO_DEBUG="1",
        DATABASE_URL=database_url(),
        REDIS_URL=os.environ["REDIS_URL"],
        ADMISSIONS_SWEEP_SECONDS="1",
        CELERY_BEAT_LOCK_SECONDS="3",
    )
    first = CeleryBeat({**env, "CELERY_BEAT_SCHEDULE_FILE": str(tmp_path / "a")}, name="beat-a")
    second = CeleryBeat({**env, "CELERY_BEAT_SCHEDULE_FILE": str(tmp_path / "b")}, name="beat-b")
    marks = (first.log_mark(), second.log_mark())
    sending = "Scheduler: Sending due task admissions-requeue-unnotified"
    try:
        first.start()
        wait_until(lambda: sending in first.log_since(marks[0]), 60, what="the first beat sends")
        second.start()
        wait_until(
            lambda: "standing by" in second.log_since(marks[1]), 60, what="the second stands by"
        )
        sent = first.log_since(marks[0]).count(sending)
        wait_until(
            lambda: first.log_since(marks[0]).count(sending) >= sent + 3,
            30,
            what="three more sweeps from the first beat",
        )
        assert sending not in second.log_since(marks[1])

        first.stop()
        wait_until(
            lambda: sending in second.log_since(marks[1]), 30, what="the second beat takes over"
        )
    finally:
        first.stop()
        second.stop()
        from cardinal.celery import app

        app.control.purge()  # the sweeps they sent: no worker here reads them
