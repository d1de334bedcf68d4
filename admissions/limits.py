"""Limits of the intake form kept in the cache: the counts of form posts and of
accepted intakes per client address, single-use fill-time tokens and the ceiling
on accepted intakes per minute, whoever sends them.

A cache that cannot be reached never turns a person away: each check then
lets the submission through and logs the outage (without any value).

With Redis (production), each check is one round trip over a client kept per
process (cardinal.lib.redis_client), the values stored as Django's cache stores
them (an integer as its digits), under the cache's own key names.
"""

import logging
import re
import time
from enum import Enum

from django.conf import settings
from django.core.cache import cache

from cardinal.lib.redis_client import redis_client

logger = logging.getLogger(__name__)

CLAIM_KEY = "admissions.fill-token-used.{}"
WINDOW_KEY = "admissions.accepted-in-minute.{}"
ALERT_KEY = "admissions.ceiling-alert.{}"
WINDOW_SECONDS = 60
POSTS_KEY = "admissions.posts-from.{}.{}"
ACCEPTED_KEY = "admissions.accepted-from.{}.{}"
RATE = re.compile(r"(\d+)/(\d*)([smhd])")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """(count, seconds) of a rate such as "5/h" or "30/10m"."""
    match = RATE.fullmatch(rate.strip())
    if match is None:
        raise ValueError(f"not a rate: {rate!r} (say 5/h, 30/10m)")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * UNIT_SECONDS[unit]


def _window_key(template: str, address: str, seconds: int, now: float) -> str:
    """The key of this address's count in the current fixed window of `seconds`."""
    return template.format(address, int(now // seconds))


def address_posted(address: str) -> bool:
    """Count one form post from this client address; whether it is over
    settings.ADMISSIONS_POST_RATE_LIMIT posts, or the address has reached
    settings.ADMISSIONS_RATE_LIMIT accepted intakes, in the current window.

    With Redis, one round trip (count the post, read the accepted count)."""
    posts_limit, posts_seconds = parse_rate(settings.ADMISSIONS_POST_RATE_LIMIT)
    accepted_limit, accepted_seconds = parse_rate(settings.ADMISSIONS_RATE_LIMIT)
    now = time.time()
    posts_key = _window_key(POSTS_KEY, address, posts_seconds, now)
    accepted_key = _window_key(ACCEPTED_KEY, address, accepted_seconds, now)
    try:
        if (client := redis_client()) is not None:
            pipe = client.pipeline(transaction=False)
            posts_key = cache.make_and_validate_key(posts_key)
            pipe.set(posts_key, 0, nx=True, ex=posts_seconds + WINDOW_SECONDS)
            pipe.incr(posts_key)
            pipe.get(cache.make_and_validate_key(accepted_key))
            _, posts, accepted = pipe.execute()
        else:
            cache.add(posts_key, 0, timeout=posts_seconds + WINDOW_SECONDS)
            posts, accepted = cache.incr(posts_key), cache.get(accepted_key)
    except Exception as exc:  # the cache is down: never turn a person away for that
        logger.warning("intake rate limit unavailable (%s)", type(exc).__name__)
        return False
    return int(posts) > posts_limit or int(accepted or 0) >= accepted_limit


def address_accepted(address: str) -> None:
    """Count one accepted intake from this client address (one round trip)."""
    _, seconds = parse_rate(settings.ADMISSIONS_RATE_LIMIT)
    key = _window_key(ACCEPTED_KEY, address, seconds, time.time())
    try:
        _count(key, timeout=seconds + WINDOW_SECONDS)
    except Exception as exc:
        logger.warning("intake rate limit unavailable (%s)", type(exc).__name__)


def _count(key: str, *, timeout: int) -> int:
    """Add one to the count under `key`, which starts at 0 and expires `timeout`
    seconds after it was first counted; the new count. One round trip with Redis.
    ValueError (another cache) when the key expired between its add and incr."""
    if (client := redis_client()) is not None:
        pipe = client.pipeline(transaction=False)
        key = cache.make_and_validate_key(key)
        pipe.set(key, 0, nx=True, ex=timeout)
        pipe.incr(key)
        return int(pipe.execute()[1])
    cache.add(key, 0, timeout=timeout)
    return cache.incr(key)


def _add(key: str, *, timeout: int) -> bool:
    """Store 1 under `key` for `timeout` seconds unless it is there: whether it
    was stored (cache.add, with the kept client under Redis)."""
    if (client := redis_client()) is not None:
        return bool(client.set(cache.make_and_validate_key(key), 1, nx=True, ex=timeout))
    return cache.add(key, 1, timeout=timeout)


class Claim(Enum):
    CLAIMED = "claimed"  # this request may use the token
    USED = "used"  # an intake was sent with it already
    UNCHECKED = "unchecked"  # the cache is down: let it through


def token_claim(nonce: str) -> Claim:
    """Take the fill-time token with this nonce for one submission (atomic: of
    two requests with the same token, one gets CLAIMED, the other USED)."""
    try:
        added = _add(CLAIM_KEY.format(nonce), timeout=settings.ADMISSIONS_FORM_MAX_AGE_SECONDS + 60)
    except Exception as exc:
        logger.warning("fill-token check unavailable (%s)", type(exc).__name__)
        return Claim.UNCHECKED
    return Claim.CLAIMED if added else Claim.USED


def token_release(nonce: str) -> None:
    """Give a claimed token back: its submission was not saved (say, the
    database was down), so the person may send the same form again."""
    try:
        if (client := redis_client()) is not None:
            client.delete(cache.make_and_validate_key(CLAIM_KEY.format(nonce)))
        else:
            cache.delete(CLAIM_KEY.format(nonce))
    except Exception as exc:
        logger.warning("fill-token release unavailable (%s)", type(exc).__name__)


def current_window(now: float | None = None) -> int:
    """The minute (since the epoch) a submission falls in."""
    return int((time.time() if now is None else now) // WINDOW_SECONDS)


def ceiling_reached(window: int) -> bool:
    """Count one more intake in this minute; whether that goes past
    settings.ADMISSIONS_GLOBAL_LIMIT_PER_MINUTE (0: no ceiling)."""
    limit = settings.ADMISSIONS_GLOBAL_LIMIT_PER_MINUTE
    if limit <= 0:
        return False
    try:
        count = _count(WINDOW_KEY.format(window), timeout=WINDOW_SECONDS * 2)
    except ValueError:  # the key expired between add and incr: this is the first
        return False
    except Exception as exc:
        logger.warning("intake ceiling unavailable (%s)", type(exc).__name__)
        return False
    return count > limit


def ceiling_alert_due(window: int) -> bool:
    """True once per minute past the ceiling: the first caller alerts the supervisors."""
    try:
        return _add(ALERT_KEY.format(window), timeout=WINDOW_SECONDS * 2)
    except Exception as exc:
        logger.warning("intake ceiling alert check unavailable (%s)", type(exc).__name__)
        return False
