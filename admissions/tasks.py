"""Celery tasks of the admissions app: thin wrappers around services, each named
after the service it runs.

They take ids only, never a person's details, and are safe to run twice.
Every task is acknowledged late (settings.CELERY_TASK_ACKS_LATE): a worker that
dies mid-task leaves the message for another.
"""

from celery import shared_task

from cardinal.lib.tasks import MAIL_TASK_OPTIONS, TRANSIENT_ERRORS


@shared_task(**MAIL_TASK_OPTIONS)
def intake_notify(intake_id: int) -> None:
    """Tell a navigator that an intake is waiting."""
    from admissions import services

    services.intake_notify(intake_id=intake_id)


# The sweeps run every minute (settings.CELERY_BEAT_SCHEDULE); a failed run is
# simply done again by the next one.


@shared_task
def intakes_requeue_unnotified() -> int:
    from admissions import services

    return services.intakes_requeue_unnotified()


@shared_task
def intakes_escalate_overdue() -> int:
    from admissions import services

    return services.intakes_escalate_overdue()


@shared_task
def intakes_anonymise_expired() -> int:
    from admissions import services

    return services.intakes_anonymise_expired()


@shared_task(
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=60,
    max_retries=3,
)
def intakes_alert_ceiling(window: int) -> None:
    """Tell the supervisors that the form reached its ceiling in this minute
    (queued once per minute by the intake view)."""
    from admissions import services

    services.intakes_alert_ceiling(window=window)
