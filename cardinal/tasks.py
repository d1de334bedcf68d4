"""Periodic housekeeping of what the project keeps beside the apps' data:
sessions (django.contrib.sessions) and staff sign-in records (django-axes).

Neither belongs to an app of ours, so the tasks live with the project wiring;
the worker imports this module through settings.CELERY_IMPORTS (Celery's
autodiscovery looks only in INSTALLED_APPS, and cardinal is not an app). Beat
runs them every hour (settings.CELERY_BEAT_SCHEDULE); a run that fails is done
again by the next one.
"""

import contextlib
import logging
from datetime import timedelta
from importlib import import_module

from celery import shared_task
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task
def sessions_purge_expired() -> None:
    """Delete expired sessions, as `manage.py clearsessions` does (an anonymous
    visitor's session may still name the reference of an intake sent)."""
    engine = import_module(settings.SESSION_ENGINE)
    with contextlib.suppress(NotImplementedError):  # a store whose sessions expire by themselves
        engine.SessionStore.clear_expired()


@shared_task
def sign_in_records_purge() -> int:
    """Delete the sign-in attempts, lockout counters and access logs of
    django-axes older than settings.SIGN_IN_RETENTION_DAYS. Returns how many."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    cutoff = timezone.now() - timedelta(days=settings.SIGN_IN_RETENTION_DAYS)
    deleted = 0
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        count, _ = model.objects.filter(attempt_time__lt=cutoff).delete()
        deleted += count
    if deleted:
        logger.info("deleted %d sign-in records past the retention period", deleted)
    return deleted
