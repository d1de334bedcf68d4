"""What the project's Celery tasks share: the retry policy of a task that sends
mail, and queueing that a broker outage cannot turn into an error for the
person who caused it."""

import logging
from smtplib import SMTPException
from typing import Any

from celery import Task

logger = logging.getLogger(__name__)

# Mail servers and networks fail for a while and recover: retry those.
TRANSIENT_ERRORS = (SMTPException, ConnectionError, TimeoutError)

# Options of a task that sends mail: retried with growing, jittered pauses.
MAIL_TASK_OPTIONS: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 10,
}


def queue_or_log(task: Task, *args: int, what: str) -> bool:
    """Queue `task` with ids only; when the broker is down (or an in-process run
    failed), log a warning naming `what` instead of raising. Returns whether it
    was queued: the caller's data is saved either way, and a sweep or the next
    request tries again."""
    try:
        task.delay(*args)
    except Exception as exc:
        logger.warning("could not queue %s (%s)", what, type(exc).__name__)
        return False
    return True
