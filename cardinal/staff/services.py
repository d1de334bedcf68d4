"""Staff sign-in: enrolment links, enrolling an authenticator app, its mail."""

import logging
import secrets
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cardinal.lib.tasks import queue_or_log
from cardinal.staff.models import (
    EnrolmentLink,
    RecoveryCodes,
    StaffTOTPDevice,
    reseal,
    secret_hash,
)

logger = logging.getLogger(__name__)

ENROL_URL_NAME = "staff-2fa-enrol"
RECOVERY_CODE_COUNT = 10


def enrolment_link_issue(*, user) -> str:
    """A new enrolment link for `user`, valid once for STAFF_ENROLMENT_LINK_HOURS;
    links issued to them before and not used stop working. Returns the URL to
    hand over (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        EnrolmentLink.objects.filter(user=user, used_at__isnull=True).delete()
        EnrolmentLink.objects.create(
            user=user,
            token_hash=secret_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=settings.STAFF_ENROLMENT_LINK_HOURS),
        )
    return f"{settings.SITE_URL}{reverse(ENROL_URL_NAME)}?token={token}"


def authenticator_enrolled(*, user) -> bool:
    return StaffTOTPDevice.objects.filter(user=user, confirmed=True).exists()


def enrolment_link_instructions(*, url: str) -> str:
    """What the commands print with a new link."""
    hours = settings.STAFF_ENROLMENT_LINK_HOURS
    return (
        f"Enrolment link for two-factor sign-in (give it to the account's owner; it works "
        f"once, for {hours} hours, after signing in with the password):\n  {url}"
    )


def enrolment_link_find(*, token: str) -> EnrolmentLink | None:
    """The usable (unused, unexpired) link with this token, if any."""
    if not token:
        return None
    return EnrolmentLink.objects.usable().filter(token_hash=secret_hash(token)).first()


def device_pending(*, link: EnrolmentLink) -> StaffTOTPDevice:
    """The authenticator app the link's owner is enrolling: a new seed for each
    link (a pending device from before the link was issued is replaced)."""
    pending = StaffTOTPDevice.objects.filter(user=link.user_id, confirmed=False)
    pending.filter(created_at__lt=link.created_at).delete()
    device = pending.order_by("pk").first()
    if device is None:
        device = StaffTOTPDevice.objects.create(
            user_id=link.user_id, name="Authenticator app", confirmed=False
        )
    return device


def device_enrol(*, link: EnrolmentLink, device: StaffTOTPDevice, token: str) -> list[str] | None:
    """Confirm the pending device with a code from the app. On success the link
    is used up, the device replaces the owner's other authenticator apps, they
    get new recovery codes (returned, to be shown once) and a mail. None when
    the code does not match or the link is no longer usable."""
    with transaction.atomic():
        usable = EnrolmentLink.objects.usable().select_for_update().filter(pk=link.pk).first()
        if usable is None:
            return None
        user_id = usable.user_id
        device = StaffTOTPDevice.objects.select_for_update().get(pk=device.pk, user=user_id)
        if not device.verify_token(token):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        StaffTOTPDevice.objects.filter(user=user_id).exclude(pk=device.pk).delete()
        usable.used_at = timezone.now()
        usable.save(update_fields=["used_at"])
        recovery, _ = RecoveryCodes.objects.get_or_create(
            user_id=user_id, defaults={"name": "Recovery codes"}
        )
        codes = recovery.replace_codes(RECOVERY_CODE_COUNT)
        transaction.on_commit(partial(queue_device_mail, device.pk))
    logger.info("user %s enrolled authenticator app %s", user_id, device.pk)
    return codes


def queue_device_mail(device_id: int) -> None:
    """Queue the owner's mail about a new device; a broker outage is logged."""
    from cardinal.staff import tasks

    queue_or_log(
        tasks.device_enrolled_notify,
        device_id,
        what=f"the mail about authenticator app {device_id}",
    )


def device_enrolled_notify(*, device_id: int) -> bool:
    """Tell the owner that an authenticator app was added to their account (once;
    the mail holds no secret). Returns whether a mail was sent."""
    with transaction.atomic():
        device = (
            StaffTOTPDevice.objects.select_for_update()
            .select_related("user")
            .filter(pk=device_id, confirmed=True)
            .first()
        )
        if device is None or device.owner_mailed_at is not None:
            return False
        if not device.user.email:
            logger.warning("user %s has no email address to tell of a new device", device.user_id)
            return False
        context = {"username": device.user.get_username(), "added_at": device.last_used_at}
        send_mail(
            "A new authenticator was added to your account",
            render_to_string("staff/email/device_added.txt", context),
            None,
            [device.user.email],
        )
        device.owner_mailed_at = timezone.now()
        device.save(update_fields=["owner_mailed_at"])
    return True


def devices_reencrypt() -> int:
    """Encrypt every authenticator seed again with the newest FIELD_ENCRYPTION_KEY
    (manage.py rotate_encryption_key). Returns how many."""
    with transaction.atomic():
        devices = list(StaffTOTPDevice.objects.select_for_update().only("encrypted_key"))
        for device in devices:
            device.encrypted_key = reseal(device.encrypted_key)
        StaffTOTPDevice.objects.bulk_update(devices, ["encrypted_key"], batch_size=500)
    return len(devices)
