"""Celery tasks of staff sign-in: thin wrappers around services, ids only."""

from celery import shared_task

from cardinal.lib.tasks import MAIL_TASK_OPTIONS


@shared_task(**MAIL_TASK_OPTIONS)
def device_enrolled_notify(device_id: int) -> None:
    """Tell a staff member that an authenticator app was added to their account."""
    from cardinal.staff import services

    services.device_enrolled_notify(device_id=device_id)
