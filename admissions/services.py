"""Multi-step writes of the admissions app.

Every function takes keyword arguments only. Log lines name intakes by id and
never carry a person's details.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from admissions import consent, crypto, roles
from admissions.models import (
    AccessRecord,
    ConsentRecord,
    Intake,
    IntakeActivity,
    NavigatorState,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


# --- Submission -------------------------------------------------------------


@sensitive_variables()  # an error report never shows the person's details
def intake_submit(
    *,
    first_name: str,
    phone: str,
    who_needs_help: str,
    best_time: str,
    voicemail_ok: bool,
    contact_method: str,
    consent_page: str,
    email: str = "",
    state: str = "",
    substances: Iterable[str] = (),
    insurance_provider: str = "",
    insurance_member_id: str = "",
    message: str = "",
    source_page: str = "",
    consent_version: str = consent.CURRENT_VERSION,
) -> Intake:
    """Save an intake with its consent record and first timeline entry, in one
    transaction; once committed, queue the notification of a navigator.

    `phone` must already be in E.164 form (IntakeForm does that).
    """
    wording = consent.WORDINGS[consent_version]
    now = timezone.now()
    with transaction.atomic():
        intake = Intake(
            reference=Intake.objects.unused_reference(),
            first_name=first_name,
            who_needs_help=who_needs_help,
            best_time=best_time,
            voicemail_ok=voicemail_ok,
            contact_method=contact_method,
            email=email,
            state=state,
            substances=",".join(substances),
            insurance_provider=insurance_provider,
            insurance_member_id=insurance_member_id,
            message=message,
            source_page=source_page,
            created_at=now,
        )
        intake.set_phone(phone)
        intake.save()
        ConsentRecord.objects.create(
            intake=intake,
            wording_version=wording.version,
            wording_sha256=wording.sha256,
            given_at=now,
            page=consent_page[:200],
        )
        IntakeActivity.objects.create(
            intake=intake,
            kind=IntakeActivity.Kind.STATUS_CHANGE,
            to_status=Intake.Status.NEW,
            note="Submitted through the website.",
            created_at=now,
        )
        transaction.on_commit(partial(queue_notification, intake.pk))
    logger.info("intake %s saved", intake.pk)
    return intake


def queue_notification(intake_id: int) -> None:
    """Queue the navigator notification; a broker outage is logged, never raised.

    The intake is already saved: the beat sweep queues it again later.
    """
    from admissions import tasks

    try:
        tasks.intake_notify.delay(intake_id)
    except Exception as exc:  # broker down, or an in-process (eager) run failed
        logger.warning(
            "could not queue the notification of intake %s (%s); the sweep will retry",
            intake_id,
            type(exc).__name__,
        )


# --- Notification and assignment ------------------------------------------------


def navigator_next() -> AbstractBaseUser | None:
    """The active navigator (with an email address) assigned least recently.

    Locks that navigator's round-robin row until the transaction ends.
    """
    navigators = roles.active_members(roles.NAVIGATORS_GROUP, with_email=True)
    ids = list(navigators.values_list("pk", flat=True))
    if not ids:
        return None
    NavigatorState.objects.bulk_create(
        [NavigatorState(user_id=pk) for pk in ids], ignore_conflicts=True
    )
    candidates = NavigatorState.objects.filter(user_id__in=ids).order_by(
        F("last_assigned_at").asc(nulls_first=True), "user_id"
    )
    state = (
        candidates.select_for_update(skip_locked=True).first()
        or candidates.select_for_update().first()
    )
    state.last_assigned_at = timezone.now()
    state.save(update_fields=["last_assigned_at"])
    return get_user_model().objects.get(pk=state.user_id)


def intake_notify(*, intake_id: int) -> bool:
    """Assign a navigator (round robin) and mail them the reference and a link.

    Idempotent: the row is locked and an intake already notified is left alone.
    Returns whether a mail was sent. A mail error propagates (the task retries)
    and rolls the assignment back.
    """
    with transaction.atomic():
        intake = (
            Intake.objects.select_for_update()
            .only("pk", "reference", "notified_at", "anonymised_at", "assigned_to")
            .filter(pk=intake_id)
            .first()
        )
        if intake is None:
            logger.warning("intake %s to notify does not exist", intake_id)
            return False
        if intake.notified_at is not None or intake.anonymised_at is not None:
            return False
        navigator = intake.assigned_to
        if navigator is None or not (navigator.is_active and navigator.email):
            navigator = navigator_next()
        if navigator is None:
            logger.warning("no active navigator with an email address for intake %s", intake_id)
            return False
        context = {
            "reference": intake.reference,
            "url": intake.admin_url(),
            "callback_minutes": settings.ADMISSIONS_CALLBACK_MINUTES,
        }
        send_mail(
            f"Intake {intake.reference} waiting",
            render_to_string("admissions/email/navigator_notification.txt", context),
            None,
            [navigator.email],
        )
        intake.assigned_to = navigator
        intake.notified_at = timezone.now()
        intake.save(update_fields=["assigned_to", "notified_at", "updated_at"])
    logger.info("intake %s notified navigator %s", intake_id, navigator.pk)
    return True


def intake_assign(*, intake: Intake, navigator: AbstractBaseUser | None) -> Intake:
    """Give the intake to a navigator (None: unassign)."""
    with transaction.atomic():
        locked = _lock(intake)
        if locked.assigned_to_id != (navigator.pk if navigator else None):
            locked.assigned_to = navigator
            locked.save(update_fields=["assigned_to", "updated_at"])
    return locked


# --- The navigator's work ---------------------------------------------------------


def intake_set_status(
    *, intake: Intake, status: str, by: AbstractBaseUser | None, note: str = ""
) -> Intake:
    """Move an intake along the pipeline; the timeline records the change."""
    with transaction.atomic():
        locked = _lock(intake)
        _change_status(locked, Intake.Status(status), by=by, note=note)
    return locked


def intake_mark_contacted(*, intake: Intake, by: AbstractBaseUser) -> Intake:
    """The person was reached: status contacted (unless already further along)."""
    with transaction.atomic():
        locked = _lock(intake)
        if locked.status in Intake.AWAITING_CONTACT_STATUSES:
            _change_status(locked, Intake.Status.CONTACTED, by=by)
    return locked


def intake_log_activity(
    *,
    intake: Intake,
    author: AbstractBaseUser,
    kind: str,
    note: str = "",
    reached: bool = False,
) -> IntakeActivity:
    """Add a call attempt, voicemail or note to the timeline.

    A call that reached the person marks the intake contacted; the first
    unanswered attempt moves a new intake to "attempting contact".
    """
    kind = IntakeActivity.Kind(kind)
    if kind == IntakeActivity.Kind.STATUS_CHANGE:
        raise ValueError("status changes are recorded by intake_set_status")
    with transaction.atomic():
        locked = _lock(intake)
        activity = IntakeActivity.objects.create(
            intake=locked,
            kind=kind,
            note=note,
            reached=reached and kind == IntakeActivity.Kind.CALL_ATTEMPT,
            author=author,
        )
        if activity.reached and locked.status in Intake.AWAITING_CONTACT_STATUSES:
            _change_status(locked, Intake.Status.CONTACTED, by=author)
        elif kind != IntakeActivity.Kind.NOTE and locked.status == Intake.Status.NEW:
            _change_status(locked, Intake.Status.ATTEMPTING, by=author)
    return activity


def _lock(intake: Intake) -> Intake:
    return Intake.objects.select_for_update().get(pk=intake.pk)


def _change_status(
    intake: Intake, status: Intake.Status, *, by: AbstractBaseUser | None, note: str = ""
) -> None:
    previous = intake.status
    if previous == status:
        return
    intake.apply_status(status)
    intake.save(update_fields=["status", "first_contacted_at", "closed_at", "updated_at"])
    IntakeActivity.objects.create(
        intake=intake,
        kind=IntakeActivity.Kind.STATUS_CHANGE,
        from_status=previous,
        to_status=status,
        note=note,
        author=by,
    )


# --- Access records and the phone search ------------------------------------------
# The CSV export, which writes access records too, is in admissions/export.py.


def access_record_write(
    *,
    user: AbstractBaseUser,
    action: str,
    intake: Intake | None = None,
    detail: str = "",
) -> AccessRecord:
    return AccessRecord.objects.create(
        user=user,
        username=user.get_username(),
        intake=intake,
        action=action,
        detail=detail[:200],
    )


@dataclass(frozen=True)
class PhoneMatches:
    count: int
    phone_hash: str  # filters the intake list to them, the number itself left out


def intake_find_by_phone(*, user: AbstractBaseUser, phone: str) -> PhoneMatches:
    """Count the intakes from a phone number (E.164) and record the search."""
    count = Intake.objects.with_phone(phone).count()
    access_record_write(
        user=user, action=AccessRecord.Action.SEARCH, detail=f"{count} intakes matched"
    )
    return PhoneMatches(count=count, phone_hash=crypto.phone_hash(phone))


# --- Periodic sweeps ---------------------------------------------------------------


def intakes_requeue_unnotified(*, now: datetime | None = None) -> int:
    """Queue again the notifications of intakes saved but never notified
    (the broker was down, a worker died). Each is re-queued at most once per
    settings.ADMISSIONS_RENOTIFY_AFTER_SECONDS.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.ADMISSIONS_RENOTIFY_AFTER_SECONDS)
    ids = list(
        Intake.objects.unnotified(older_than=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:BATCH_SIZE]
    )
    if not ids:
        return 0
    Intake.objects.filter(pk__in=ids).update(requeued_at=now)
    for intake_id in ids:
        queue_notification(intake_id)
    logger.warning("re-queued the notification of %d intakes", len(ids))
    return len(ids)


def intakes_escalate_overdue(*, now: datetime | None = None) -> int:
    """Mail the Admissions supervisors about each intake not contacted within the
    SLA (settings.ADMISSIONS_SLA_MINUTES), once per intake."""
    now = now or timezone.now()
    ids = list(
        Intake.objects.due_for_escalation(now)
        .order_by("created_at")
        .values_list("pk", flat=True)[:BATCH_SIZE]
    )
    if not ids:
        return 0
    supervisors = roles.active_members(roles.SUPERVISORS_GROUP, with_email=True)
    recipients = list(supervisors.values_list("email", flat=True))
    if not recipients:
        logger.warning("%d intakes are overdue and no supervisor has an email address", len(ids))
        return 0
    escalated = 0
    for intake_id in ids:
        with transaction.atomic():
            intake = (
                Intake.objects.select_for_update(skip_locked=True)
                .only(
                    "pk", "reference", "status", "created_at", "first_contacted_at", "escalated_at"
                )
                .filter(pk=intake_id, escalated_at__isnull=True)
                .first()
            )
            if intake is None or not intake.is_overdue(now):
                continue
            context = {
                "reference": intake.reference,
                "url": intake.admin_url(),
                "sla_minutes": settings.ADMISSIONS_SLA_MINUTES,
                "waiting_minutes": int(intake.age(now).total_seconds() // 60),
            }
            send_mail(
                f"Intake {intake.reference} not contacted within "
                f"{settings.ADMISSIONS_SLA_MINUTES} minutes",
                render_to_string("admissions/email/supervisor_escalation.txt", context),
                None,
                recipients,
            )
            intake.escalated_at = now
            intake.save(update_fields=["escalated_at"])
            escalated += 1
    if escalated:
        logger.warning("escalated %d overdue intakes to the supervisors", escalated)
    return escalated


def intakes_anonymise_expired(*, now: datetime | None = None) -> int:
    """Clear the personal fields (and timeline notes) of intakes closed for longer
    than settings.ADMISSIONS_RETENTION_DAYS. References and statistics stay."""
    now = now or timezone.now()
    cleared = dict.fromkeys(Intake.PERSONAL_FIELDS, "")
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                Intake.objects.past_retention(now)
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:BATCH_SIZE]
            )
            if not ids:
                break
            Intake.objects.filter(pk__in=ids).update(**cleared, phone_hash="", anonymised_at=now)
            IntakeActivity.objects.filter(intake_id__in=ids).exclude(note="").update(note="")
        total += len(ids)
    if total:
        logger.info("anonymised %d closed intakes past the retention period", total)
    return total


# --- Keys ---------------------------------------------------------------------------


def intakes_reencrypt() -> int:
    """Encrypt every stored personal field again with the newest key (key rotation)."""
    total = 0
    for model, fields in (
        (Intake, list(Intake.PERSONAL_FIELDS)),
        (IntakeActivity, ["note"]),
    ):
        last_pk = 0
        while True:
            with transaction.atomic():
                rows = list(
                    model.objects.filter(pk__gt=last_pk)
                    .order_by("pk")
                    .select_for_update()
                    .only("pk", *fields)[:BATCH_SIZE]
                )
                if not rows:
                    break
                model.objects.bulk_update(rows, fields)
            last_pk = rows[-1].pk
            total += len(rows)
    return total
