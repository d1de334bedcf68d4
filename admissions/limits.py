"""Limits of the intake form kept in the cache: single-use fill-time tokens and
the ceiling on accepted intakes per minute, whoever sends them.

A cache that cannot be reached never turns a person away: each check then
lets the submission through and logs the outage (without any value).
"""

import logging
import time
from enum import Enum

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

CLAIM_KEY = "admissions.fill-token-used.{}"
WINDOW_KEY = "admissions.accepted-in-minute.{}"
ALERT_KEY = "admissions.ceiling-alert.{}"
WINDOW_SECONDS = 60


class Claim(Enum):
    CLAIMED = "claimed"  # this request may use the token
    USED = "used"  # an intake was sent with it already
    UNCHECKED = "unchecked"  # the cache is down: let it through


def token_claim(nonce: str) -> Claim:
    """Take the fill-time token with this nonce for one submission (atomic: of
    two requests with the same token, one gets CLAIMED, the other USED)."""
    try:
        added = cache.add(
            CLAIM_KEY.format(nonce), 1, timeout=settings.ADMISSIONS_FORM_MAX_AGE_SECONDS + 60
        )
    except Exception as exc:
        logger.warning("fill-token check unavailable (%s)", type(exc).__name__)
        return Claim.UNCHECKED
    return Claim.CLAIMED if added else Claim.USED


def token_release(nonce: str) -> None:
    """Give a claimed token back: its submission was not saved (say, the
    database was down), so the person may send the same form again."""
    try:
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
    key = WINDOW_KEY.format(window)
    try:
        cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr: this is the first
        return False
    except Exception as exc:
        logger.warning("intake ceiling unavailable (%s)", type(exc).__name__)
        return False
    return count > limit


def ceiling_alert_due(window: int) -> bool:
    """True once per minute past the ceiling: the first caller alerts the supervisors."""
    try:
        return cache.add(ALERT_KEY.format(window), 1, timeout=WINDOW_SECONDS * 2)
    except Exception as exc:
        logger.warning("intake ceiling alert check unavailable (%s)", type(exc).__name__)
        return False
