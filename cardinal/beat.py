"""Celery beat that sends only while it holds a lock in Redis: a second beat is harmless.

Each beat (settings.CELERY_BEAT_SCHEDULER) asks Redis at every tick of its loop to
take, or renew, one key, `cardinal:beat:lock`, holding a token of its own and
expiring CELERY_BEAT_LOCK_SECONDS later. The beat that holds the key sends the
periodic tasks; any other walks through the same schedule without sending, so that
on taking over it carries on from where the schedule is, not from where it started
(a weekly task that the first beat sent on Monday is not sent again on Tuesday).
A beat that stops cleanly deletes the key and another takes over at its next tick;
one that dies leaves the key to expire, and another takes over within the lock's
time and a third of it. A task due in that gap waits for its next time.

Time: the expiry is kept by Redis alone, so the hosts' clocks never meet. A beat
counts its hold with its own monotonic clock from the moment it asked for the
renewal, and stops counting on it a third of the lock's time before Redis would let
the key go: a beat that cannot reach Redis, or that was paused (a frozen VM), sends
nothing once its lock may be someone else's, and a beat told that another holds the
key stops at once. What the lock cannot close is a publish that itself hangs for
longer than that margin; the periodic tasks are safe to run twice.

Without a Redis broker (the embedded defaults) there is nothing to share, and the
beat sends as Celery's own does.
"""

import contextlib
import logging
import os
import socket
import time
import uuid

import redis
from celery.beat import PersistentScheduler

logger = logging.getLogger(__name__)

LOCK_KEY = "cardinal:beat:lock"
DEFAULT_LOCK_SECONDS = 30

# Take the key if it is free, or renew it if it is ours: one atomic step.
TAKE_OR_RENEW = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return 1
end
if not holder then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return 1
end
return 0
"""
# Delete the key only if it is still ours.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class SingleBeatScheduler(PersistentScheduler):
    """Celery's persistent scheduler (the --schedule file), sending only while this
    beat holds the lock. `lock_seconds`, `lock_key` and `redis_url` default to the
    configuration (beat_lock_seconds, the broker)."""

    def __init__(
        self,
        *args,
        lock_seconds: float | None = None,
        lock_key: str = LOCK_KEY,
        redis_url: str | None = None,
        **kwargs,
    ):
        app = kwargs.get("app") or args[0]
        self.lock_seconds = float(
            lock_seconds or app.conf.get("beat_lock_seconds") or DEFAULT_LOCK_SECONDS
        )
        self.lock_key = lock_key
        url = redis_url or app.conf.broker_url or ""
        self.redis = (
            redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
            if url.startswith(("redis://", "rediss://"))
            else None
        )
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.valid_until = 0.0  # monotonic; the hold is trusted until then
        self._was_holding: bool | None = None
        super().__init__(*args, **kwargs)

    @property
    def renew_seconds(self) -> float:
        return self.lock_seconds / 3

    def holds_lock(self) -> bool:
        return self.redis is None or time.monotonic() < self.valid_until

    def refresh_lock(self) -> bool:
        """Take or renew the lock; whether this beat holds it now."""
        if self.redis is None:
            return True
        asked_at = time.monotonic()
        try:
            taken = self.redis.eval(
                TAKE_OR_RENEW, 1, self.lock_key, self.token, int(self.lock_seconds * 1000)
            )
        except redis.RedisError as error:
            # Unknown: the key may still be ours. Trusted until the last renewal's
            # margin runs out; the next tick asks again.
            logger.warning("beat: could not renew the beat lock (%s)", error.__class__.__name__)
        else:
            if taken:
                self.valid_until = asked_at + self.lock_seconds - self.renew_seconds
            else:
                self.valid_until = 0.0
        holding = self.holds_lock()
        if holding != self._was_holding:
            if holding:
                logger.info("beat: this beat holds %s and sends the periodic tasks", self.lock_key)
            else:
                logger.info(
                    "beat: standing by, sending nothing while another beat holds %s",
                    self.lock_key,
                )
            self._was_holding = holding
        return holding

    def tick(self, *args, **kwargs) -> float:
        self.refresh_lock()
        return min(super().tick(*args, **kwargs), self.renew_seconds)

    def apply_entry(self, entry, producer=None):
        if not self.holds_lock():
            logger.debug("beat: standing by, %s not sent", entry.name)
            return
        super().apply_entry(entry, producer=producer)

    def release_lock(self) -> None:
        if self.redis is None:
            return
        self.valid_until = 0.0
        with contextlib.suppress(redis.RedisError):  # it expires on its own then
            self.redis.eval(RELEASE, 1, self.lock_key, self.token)

    def close(self) -> None:
        try:
            self.release_lock()
        finally:
            super().close()
