"""Celery tasks of the education app: thin wrappers around services, each named
after the service it runs."""

from smtplib import SMTPException

from celery import shared_task

# The check fetches every source (settings.SOURCES_CHECK_TIMEOUT_SECONDS each, a
# few at a time): longer than the default task limit allows.
LINK_CHECK_TIME_LIMIT = 30 * 60


@shared_task(
    autoretry_for=(SMTPException, ConnectionError),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=3,
    time_limit=LINK_CHECK_TIME_LIMIT,
    soft_time_limit=LINK_CHECK_TIME_LIMIT - 60,
)
def sources_check_links() -> int:
    """Weekly (settings.CELERY_BEAT_SCHEDULE): check every source's links and mail
    the Editors the new breakages; how many broke since the last run.

    Safe to run twice: a link already marked broken is not mailed again, and a
    failed mail undoes the run's writes, so the retry finds the same breakages new.
    """
    from education import services

    return len(services.sources_check_links().newly_broken)
