"""Celery tasks of the admissions app: thin wrappers around services.

They take ids only, never a person's details, and are safe to run twice.
Every task is acknowledged late (settings.CELERY_TASK_ACKS_LATE): a worker that
dies mid-task leaves the message for another.
"""

from smtplib import SMTPException

from celery import shared_task

# Mail servers and networks fail for a while and recover: retry those.
TRANSIENT_ERRORS = (SMTPException, ConnectionError, TimeoutError)


@shared_task(
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
)
def notify_intake(intake_id: int) -> None:
    """Tell a navigator that an intake is waiting."""
    from admissions.services import intake_notify

    intake_notify(intake_id=intake_id)


# The sweeps run every minute (settings.CELERY_BEAT_SCHEDULE); a failed run is
# simply done again by the next one.


@shared_task
def requeue_unnotified_intakes() -> int:
    from admissions.services import intakes_requeue_unnotified

    return intakes_requeue_unnotified()


@shared_task
def escalate_overdue_intakes() -> int:
    from admissions.services import intakes_escalate_overdue

    return intakes_escalate_overdue()


@shared_task
def anonymise_expired_intakes() -> int:
    from admissions.services import intakes_anonymise_expired

    return intakes_anonymise_expired()
