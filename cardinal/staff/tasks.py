"""Celery tasks of staff sign-in: thin wrappers around services, ids only."""

from smtplib import SMTPException

from celery import shared_task

TRANSIENT_ERRORS = (SMTPException, ConnectionError, TimeoutError)


@shared_task(
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
)
def device_enrolled_notify(device_id: int) -> None:
    """Tell a staff member that an authenticator app was added to their account."""
    from cardinal.staff import services

    services.device_enrolled_notify(device_id=device_id)
