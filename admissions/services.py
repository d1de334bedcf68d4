"""Multi-step writes of the admissions app.

Every function takes keyword arguments only. Log lines name intakes by id and
never carry a person's details.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from admissions import audit, consent, crypto, roles
from admissions.models import (
    AccessRecord,
    ConsentRecord,
    Intake,
    IntakeActivity,
    Language,
    NavigatorState,
    duty_seen_since,
    random_reference,
)
from admissions.schedule import schedule_current
from cardinal.lib.tasks import queue_or_log

if TYPE_CHECKING:
    from django.contrib.auth.models import User  # settings.AUTH_USER_MODEL

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# Draws of a new intake's reference before giving up (each clash is one in millions).
REFERENCE_ATTEMPTS = 10


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
    language: str = Language.ENGLISH,
    consent_version: str = consent.CURRENT_VERSION,
) -> Intake:
    """Save an intake with its consent record and first timeline entry, in one
    transaction; once committed, queue the notification of a navigator.

    `phone` must already be in E.164 form (IntakeForm does that). `language` is
    the one the person is to be called back in (Language: the form's page
    language, or the one they chose); `consent_version` the wording the form showed.
    """
    language = Language(language)
    wording = consent.WORDINGS[consent_version]
    now = timezone.now()
    call_after = schedule_current().open_within(now, Intake.BEST_TIME_WINDOWS.get(best_time))
    for attempt in range(1, REFERENCE_ATTEMPTS + 1):
        intake = Intake(
            # Drawn without asking whether it is taken (a query on every intake for a
            # clash about once in 887 million); the unique index tells, and a clash
            # rolls back this attempt only.
            reference=random_reference(),
            first_name=first_name,
            who_needs_help=who_needs_help,
            best_time=best_time,
            voicemail_ok=voicemail_ok,
            contact_method=contact_method,
            email=email,
            state=state,
            substances=",".join(dict.fromkeys(substances)),
            insurance_provider=insurance_provider,
            insurance_member_id=insurance_member_id,
            message=message,
            source_page=source_page,
            language=language,
            created_at=now,
            call_after=call_after,
        )
        intake.set_phone(phone)
        try:
            with transaction.atomic():
                intake.save(force_insert=True)
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
        except IntegrityError:
            if attempt == REFERENCE_ATTEMPTS or not Intake.objects.reference_taken(
                intake.reference
            ):
                raise
            logger.warning("intake reference drawn twice; drawing another")
            continue
        break
    logger.info("intake %s saved", intake.pk)
    return intake


def queue_notification(intake_id: int) -> None:
    """Queue the navigator notification; a broker outage is logged, never raised.

    The intake is already saved: the beat sweep queues it again later.
    """
    from admissions import tasks

    queue_or_log(
        tasks.intake_notify,
        intake_id,
        what=f"the notification of intake {intake_id}; the sweep will retry",
    )


# --- Notification and assignment ------------------------------------------------
# An intake goes to a navigator on duty while admissions is open; otherwise to the
# on-call inbox and the Admissions supervisors, and waits unassigned for the next
# navigator who marks themself available. Never to nobody.

# A call_after this much past the notification is a time the person chose.
CHOSEN_TIME_AFTER = timedelta(minutes=1)


def navigator_next(
    *, intake: Intake | None = None, now: datetime | None = None, language: str = ""
) -> "User | None":
    """The navigator on duty (NavigatorState.objects.on_duty) an intake goes to:
    its assignee, if any and on duty; else the navigator assigned the same
    person's last earlier intake (same phone, under any hash key), if on duty;
    else the one on duty assigned least recently (round robin).

    With a `language` other than English (a Spanish intake), those rules are
    applied first among the navigators on duty who speak it, then, when none of
    them is on duty, among all on duty. The navigator returned has their duty
    row cached (`navigator.navigator_state`), so `.speaks(language)` says which
    of the two it was.

    Locks that navigator's duty row until the transaction ends.

    One query tells who is on duty and which languages they speak: when nobody
    is, that is the only one; a pool none of them is in (no Spanish speaker on
    duty) and a preferred navigator off duty are not asked for.
    """
    now = now or timezone.now()
    on_duty = NavigatorState.objects.on_duty(now)
    speakers = dict(on_duty.values_list("user_id", "languages"))
    if not speakers:
        return None
    pools = [(on_duty, set(speakers))]
    if language and language != Language.ENGLISH:
        speaking = {user_id for user_id, codes in speakers.items() if language in codes.split(",")}
        if speaking:
            pools.insert(0, (on_duty.speaking(language), speaking))
    preferred = _navigators_preferred(intake)
    state = None
    for pool, members in pools:
        state = _navigator_in(pool, [user_id for user_id in preferred if user_id in members])
        if state is not None:
            break
    if state is None:
        return None
    state.last_assigned_at = now
    state.save(update_fields=["last_assigned_at"])
    return state.user  # read with the row; its navigator_state is that row


def _navigator_in(pool, preferred: list[int]) -> NavigatorState | None:
    """The duty row, locked, of the first preferred navigator in the pool, else of
    the one in it given an intake least recently; None for an empty pool. The
    navigator's user row comes with it (not locked)."""
    pool = pool.select_related("user")
    for user_id in preferred:
        state = pool.filter(user_id=user_id).select_for_update(of=("self",)).first()
        if state is not None:
            return state
    candidates = pool.order_by(F("last_assigned_at").asc(nulls_first=True), "user_id")
    return (
        candidates.select_for_update(skip_locked=True, of=("self",)).first()
        or candidates.select_for_update(of=("self",)).first()
    )


def _navigators_preferred(intake: Intake | None) -> list[int]:
    """The intake's assignee, then the navigator of the same person's last earlier
    intake that had one (ids; none, one or both)."""
    if intake is None:
        return []
    preferred = [intake.assigned_to_id] if intake.assigned_to_id else []
    if intake.phone:
        last = (
            Intake.objects.with_phone(intake.phone)
            .filter(created_at__lt=intake.created_at, assigned_to__isnull=False)
            .exclude(pk=intake.pk)
            .order_by("-created_at")
            .values_list("assigned_to_id", flat=True)
            .first()
        )
        if last is not None and last not in preferred:
            preferred.append(last)
    return preferred


def oncall_recipients() -> list[str]:
    """settings.ADMISSIONS_ONCALL_EMAIL and the active Admissions supervisors with
    an email address, each once."""
    supervisors = roles.active_members(roles.SUPERVISORS_GROUP, with_email=True)
    addresses = [settings.ADMISSIONS_ONCALL_EMAIL, *supervisors.values_list("email", flat=True)]
    return list(dict.fromkeys(address for address in addresses if address))


def intake_notify(*, intake_id: int, now: datetime | None = None) -> bool:
    """Tell someone that an intake is waiting, with its reference and admin link.

    Admissions open and a navigator on duty: assign them (navigator_next) and
    mail them. Otherwise (closed, or nobody on duty): one mail to the on-call
    inbox and the supervisors (oncall_recipients) saying why, and an "On-call
    told" entry on the timeline; the intake stays unassigned.

    A Spanish intake goes to a Spanish-speaking navigator on duty first
    (navigator_next). When none is on duty, the mail it falls back to (another
    navigator's, or the on-call one) says "Spanish speaker needed", and the
    timeline records it ("Spanish speaker needed: none on duty").

    Idempotent: the row is locked and an intake already notified is left alone.
    Returns whether a mail was sent (False also when there is nobody at all to
    tell: no on-call address and no supervisor; the sweep tries again). A mail
    error propagates (the task retries) and rolls everything back.
    """
    with transaction.atomic():
        locked = (
            Intake.objects.select_for_update()
            .only(
                "pk",
                "reference",
                "phone",
                "created_at",
                "call_after",
                "notified_at",
                "anonymised_at",
                "assigned_to",
                "language",
            )
            .filter(pk=intake_id)
            .order_by()  # one row by its key: no ORDER BY to build
        )
        intake = next(iter(locked), None)
        if intake is None:
            logger.warning("intake %s to notify does not exist", intake_id)
            return False
        if intake.notified_at is not None or intake.anonymised_at is not None:
            return False
        now = now or timezone.now()
        is_open = schedule_current().is_open(now)
        language = intake.language
        navigator = navigator_next(intake=intake, now=now, language=language) if is_open else None
        # A non-English intake nobody on duty speaking its language takes.
        speaker_needed = language != Language.ENGLISH and not (
            navigator is not None and navigator.navigator_state.speaks(language)
        )
        if navigator is not None:
            _mail_navigator(intake, navigator, now=now, speaker_needed=speaker_needed)
            intake.assigned_to = navigator
        elif not _mail_oncall(intake, is_open=is_open, now=now, speaker_needed=speaker_needed):
            return False
        if speaker_needed:
            IntakeActivity.objects.create(
                intake=intake, kind=IntakeActivity.Kind.SPANISH_NEEDED, created_at=now
            )
        intake.notified_at = now
        intake.save(update_fields=["assigned_to", "notified_at", "updated_at"])
    needed = f", {language} speaker needed" if speaker_needed else ""
    if navigator is not None:
        logger.info("intake %s notified navigator %s%s", intake_id, navigator.pk, needed)
    else:
        why = "nobody on duty" if is_open else "admissions closed"
        logger.info("intake %s notified the on-call inbox (%s%s)", intake_id, why, needed)
    return True


def _language_words(intake: Intake) -> dict:
    """What the mails say of the call's language: its name for a non-English intake."""
    if intake.language == Language.ENGLISH:
        return {"language": ""}
    return {"language": Language(intake.language).label}


def _mail_navigator(
    intake: Intake, navigator: "User", *, now: datetime, speaker_needed: bool = False
) -> None:
    context = {
        "reference": intake.reference,
        "url": intake.admin_url(),
        "callback_minutes": settings.ADMISSIONS_CALLBACK_MINUTES,
        "time_chosen": intake.call_after > now + CHOSEN_TIME_AFTER,
        "speaker_needed": speaker_needed,
        **_language_words(intake),
    }
    subject = f"Intake {intake.reference} waiting"
    if speaker_needed:
        subject = f"{subject}: {context['language']} speaker needed"
    elif context["language"]:
        subject = f"{subject} ({context['language']} speaker)"
    send_mail(
        subject,
        render_to_string("admissions/email/navigator_notification.txt", context),
        None,
        [navigator.email],
    )


def _mail_oncall(
    intake: Intake, *, is_open: bool, now: datetime, speaker_needed: bool = False
) -> bool:
    """The on-call mail, and its timeline entry; False when nobody can be told."""
    recipients = oncall_recipients()
    if not recipients:
        logger.warning(
            "intake %s: nobody on duty, and no on-call address or supervisor to tell",
            intake.pk,
        )
        return False
    kind = IntakeActivity.Kind.ONCALL_NOBODY if is_open else IntakeActivity.Kind.ONCALL_CLOSED
    IntakeActivity.objects.create(intake=intake, kind=kind, created_at=now)
    schedule = schedule_current()
    context = {
        "reference": intake.reference,
        "url": intake.admin_url(),
        "closed": not is_open,
        "assigned": intake.assigned_to_id is not None,
        "opens": "" if is_open else schedule.when(schedule.next_opening(now), now),
        "zone": schedule.zone_name,
        "queue_url": settings.SITE_URL + reverse("admin:admissions_intake_changelist"),
        "speaker_needed": speaker_needed,
        **_language_words(intake),
    }
    subject = (
        f"Intake {intake.reference} waiting: nobody on duty"
        if is_open
        else f"Intake {intake.reference} waiting: admissions is closed"
    )
    if speaker_needed:
        subject = f"{subject}, {context['language']} speaker needed"
    send_mail(
        subject,
        render_to_string("admissions/email/oncall_notification.txt", context),
        None,
        recipients,
    )
    return True


def intake_assign(*, intake: Intake, navigator: "User | None") -> Intake:
    """Give the intake to a navigator (None: unassign)."""
    with transaction.atomic():
        locked = _lock(intake)
        if locked.assigned_to_id != (navigator.pk if navigator else None):
            locked.assigned_to = navigator
            locked.save(update_fields=["assigned_to", "updated_at"])
    return locked


# --- Duty ---------------------------------------------------------------------------

# An available navigator's last_seen_at is written at most this often.
SEEN_EVERY = timedelta(seconds=60)


def navigator_set_available(*, user: "User", available: bool, now: datetime | None = None) -> int:
    """Mark a navigator available (intakes come to them from now) or away.

    Going available returns how many intakes wait unassigned for a first call
    (Intake.objects.waiting_unassigned), for the navigator to be told; going away, 0.
    Only an active member of the Navigators group can go available
    (PermissionDenied otherwise); anyone can go away.
    """
    now = now or timezone.now()
    if not available:
        NavigatorState.objects.filter(user=user, available=True).update(available=False)
        return 0
    if not roles.is_navigator(user):
        raise PermissionDenied
    NavigatorState.objects.update_or_create(
        user=user, defaults={"available": True, "available_since": now, "last_seen_at": now}
    )
    return Intake.objects.waiting_unassigned().count()


def navigator_seen(*, user: "User", now: datetime | None = None) -> bool:
    """A request of an available navigator to the admin: their last_seen_at moves
    to now, written at most once per SEEN_EVERY (one UPDATE that usually matches
    nothing). One not seen since duty_seen_since was away already: they are
    marked away instead, and True is returned (so they can be told)."""
    now = now or timezone.now()
    due = Q(last_seen_at__lt=now - SEEN_EVERY) | Q(last_seen_at=None)
    still_here = Q(last_seen_at__gte=duty_seen_since(now))
    updated = (
        NavigatorState.objects.filter(due, user=user, available=True)
        # Both expressions read the row as it was: an UPDATE sets every column at once.
        .update(
            last_seen_at=now,
            available=Case(When(still_here, then=Value(True)), default=Value(False)),
        )
    )
    return bool(updated) and not NavigatorState.objects.filter(user=user, available=True).exists()


# --- The navigator's work ---------------------------------------------------------


def intake_set_status(*, intake: Intake, status: str, by: "User | None", note: str = "") -> Intake:
    """Move an intake along the pipeline; the timeline records the change."""
    with transaction.atomic():
        locked = _lock(intake)
        _change_status(locked, Intake.Status(status), by=by, note=note)
    return locked


def intake_mark_contacted(*, intake: Intake, by: "User") -> Intake:
    """The person was reached: status contacted (unless already further along)."""
    with transaction.atomic():
        locked = _lock(intake)
        if locked.status in Intake.AWAITING_CONTACT_STATUSES:
            _change_status(locked, Intake.Status.CONTACTED, by=by)
    return locked


def intake_log_activity(
    *,
    intake: Intake,
    author: "User",
    kind: str,
    note: str = "",
    reached: bool = False,
) -> IntakeActivity:
    """Add a call attempt, voicemail or note to the timeline.

    A call that reached the person marks the intake contacted; the first
    unanswered attempt moves a new intake to "attempting contact".
    """
    kind = IntakeActivity.Kind(kind)
    if kind not in IntakeActivity.STAFF_KINDS:
        raise ValueError(f"{kind.label} entries are recorded by the services, not logged")
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
    intake: Intake, status: Intake.Status, *, by: "User | None", note: str = ""
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


# Taken (until the transaction ends) by every writer of access records, so two
# never append to the hash chain from the same last record. Any fixed number.
ACCESS_CHAIN_LOCK_ID = 7_146_530_215


def access_record_write(
    *,
    user: "User",
    action: str,
    intake: Intake | None = None,
    detail: str = "",
    phone_hash: str = "",
) -> AccessRecord:
    """Append one access record to the chain."""
    [record] = access_records_write(
        user=user,
        action=action,
        intake_ids=[intake.pk if intake is not None else None],
        detail=detail,
        phone_hash=phone_hash,
    )
    return record


def access_records_write(
    *,
    user: "User",
    action: str,
    intake_ids: Iterable[int | None],
    detail: str = "",
    phone_hash: str = "",
) -> list[AccessRecord]:
    """Append one access record per intake id (None: no intake) to the hash
    chain, in one insert; see admissions/audit.py."""
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":  # SQLite allows one writer at a time anyway
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ACCESS_CHAIN_LOCK_ID])
        last = AccessRecord.objects.last_in_chain()
        prev_hash = last.row_hash if last is not None else audit.GENESIS_HASH
        records = []
        for intake_id in intake_ids:
            record = AccessRecord(
                user=user,
                username=user.get_username(),
                intake_id=intake_id,
                action=action,
                detail=detail[:200],
                phone_hash=phone_hash,
                created_at=now,
                prev_hash=prev_hash,
            )
            record.row_hash = prev_hash = record.digest()
            records.append(record)
        return AccessRecord.objects.bulk_create(records, batch_size=BATCH_SIZE)


@dataclass(frozen=True)
class PhoneMatches:
    count: int
    intake_ids: tuple[int, ...]  # what the intake list shows, the number itself left out


def intake_find_by_phone(*, user: "User", phone: str) -> PhoneMatches:
    """The intakes from a phone number (E.164) whose personal details the user may
    see (Intake.personal_data_visible_to); one access record per match, each with
    the keyed hash searched for (one record without an intake for no match).

    Raises PermissionDenied without the personal data permission: the search
    would tell whether a number belongs to a patient.
    """
    if not user.has_perm(roles.PERSONAL_DATA_PERMISSION):
        raise PermissionDenied
    ids = tuple(
        Intake.objects.with_phone(phone)
        .personal_data_visible_to(user)
        .order_by("-created_at")
        .values_list("pk", flat=True)
    )
    access_records_write(
        user=user,
        action=AccessRecord.Action.SEARCH,
        intake_ids=ids or [None],
        detail=f"{len(ids)} intake{pluralize(len(ids))} matched",
        phone_hash=crypto.phone_hash(phone),
    )
    return PhoneMatches(count=len(ids), intake_ids=ids)


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
    """Mail the Admissions supervisors about the intakes not contacted within the
    SLA (settings.ADMISSIONS_SLA_MINUTES): one mail a run, listing every intake
    newly overdue, and each intake in one mail only. Returns how many it listed."""
    now = now or timezone.now()
    due = Intake.objects.due_for_escalation(now)
    waiting = due.count()
    if not waiting:
        return 0
    supervisors = roles.active_members(roles.SUPERVISORS_GROUP, with_email=True)
    recipients = list(supervisors.values_list("email", flat=True))
    if not recipients:
        logger.warning("%d intakes are overdue and no supervisor has an email address", waiting)
        return 0
    with transaction.atomic():
        intakes = [
            intake
            for intake in due.select_for_update(skip_locked=True)
            .only("pk", "reference", "status", "call_after", "first_contacted_at", "escalated_at")
            .order_by("created_at")[:BATCH_SIZE]
            if intake.is_overdue(now)
        ]
        if not intakes:
            return 0
        sla = settings.ADMISSIONS_SLA_MINUTES
        context = {
            "intakes": [
                {
                    "reference": intake.reference,
                    "url": intake.admin_url(),
                    "waiting_minutes": int((now - intake.call_after).total_seconds() // 60),
                }
                for intake in intakes
            ],
            "sla_minutes": sla,
        }
        if len(intakes) == 1:
            subject = f"Intake {intakes[0].reference} not contacted within {sla} minutes"
        else:
            subject = f"{len(intakes)} intakes not contacted within {sla} minutes"
        send_mail(
            subject,
            render_to_string("admissions/email/supervisor_escalation.txt", context),
            None,
            recipients,
        )
        Intake.objects.filter(pk__in=[intake.pk for intake in intakes]).update(escalated_at=now)
    logger.warning("escalated %d overdue intakes to the supervisors", len(intakes))
    return len(intakes)


def queue_ceiling_alert(window: int) -> None:
    """Queue the supervisors' alert that the form reached its ceiling in this
    minute; a broker outage is logged, never raised (the visitor is answered)."""
    from admissions import tasks

    queue_or_log(tasks.intakes_alert_ceiling, window, what="the intake ceiling alert")


def intakes_alert_ceiling(*, window: int) -> bool:
    """Mail the Admissions supervisors that more than
    settings.ADMISSIONS_GLOBAL_LIMIT_PER_MINUTE intakes came in the minute
    `window` (admissions.limits.current_window), so that the form asks visitors
    to call instead. Returns whether a mail was sent."""
    supervisors = roles.active_members(roles.SUPERVISORS_GROUP, with_email=True)
    recipients = list(supervisors.values_list("email", flat=True))
    if not recipients:
        logger.warning("the intake ceiling was reached and no supervisor has an email address")
        return False
    started = timezone.localtime(datetime.fromtimestamp(window * 60, tz=UTC))
    context = {
        "limit": settings.ADMISSIONS_GLOBAL_LIMIT_PER_MINUTE,
        "minute": started.strftime("%Y-%m-%d %H:%M %Z"),
        "url": settings.SITE_URL + reverse("admin:admissions_intake_changelist"),
    }
    send_mail(
        "Intake form paused: too many requests in one minute",
        render_to_string("admissions/email/ceiling_alert.txt", context),
        None,
        recipients,
    )
    logger.warning("the intake ceiling was reached; the supervisors were alerted")
    return True


# The times an anonymised intake keeps, each only to the month.
INTAKE_TIMESTAMPS = (
    "created_at",
    "updated_at",
    "notified_at",
    "requeued_at",
    "first_contacted_at",
    "escalated_at",
    "closed_at",
    "anonymised_at",
)


def intakes_anonymise_expired(*, now: datetime | None = None) -> int:
    """Close and anonymise the intakes past the retention period
    (settings.ADMISSIONS_RETENTION_DAYS, Intake.objects.past_retention): closed
    that long ago, or untouched that long whatever their status.

    An intake still open is closed first ("Closed automatically after N days
    without activity" on its timeline). Then its personal fields, phone hash,
    state and source page are cleared, its timeline notes and its consent
    record's page too (the consent's wording version and hash stay), and every
    timestamp of the intake, its timeline and its consent falls to the first day
    of its month, at midnight in the clinic's time zone (settings.TIME_ZONE). The
    reference, status, preferences and timeline kinds stay, for statistics.
    """
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            intakes = list(
                Intake.objects.past_retention(now)
                .select_for_update(skip_locked=True, of=("self",))
                .only("pk", "status", *INTAKE_TIMESTAMPS)
                .order_by("pk")[:BATCH_SIZE]
            )
            if not intakes:
                break
            _anonymise(intakes, now=now)
        total += len(intakes)
    if total:
        logger.info("anonymised %d intakes past the retention period", total)
    return total


def month_start(value: datetime) -> datetime:
    """Midnight on the first day of value's month, in the clinic's time zone."""
    zone = timezone.get_default_timezone()
    local = value.astimezone(zone)
    return datetime(local.year, local.month, 1, tzinfo=zone)


def _anonymise(intakes: list[Intake], *, now: datetime) -> None:
    """Close (when open) and anonymise locked intakes; see intakes_anonymise_expired."""
    ids = [intake.pk for intake in intakes]
    days = settings.ADMISSIONS_RETENTION_DAYS
    IntakeActivity.objects.filter(intake_id__in=ids).exclude(note="").update(note="")
    closing = []
    for intake in intakes:
        if intake.status != Intake.Status.CLOSED:
            closing.append(
                IntakeActivity(
                    intake=intake,
                    kind=IntakeActivity.Kind.STATUS_CHANGE,
                    from_status=intake.status,
                    to_status=Intake.Status.CLOSED,
                    note=f"Closed automatically after {days} days without activity.",
                    created_at=now,
                )
            )
            intake.apply_status(Intake.Status.CLOSED, now=now)
        for name in Intake.PERSONAL_FIELDS:
            setattr(intake, name, "")
        intake.phone_hash = intake.state = intake.source_page = ""
        intake.anonymised_at = now
        for name in INTAKE_TIMESTAMPS:
            if (value := getattr(intake, name)) is not None:
                setattr(intake, name, month_start(value))
    IntakeActivity.objects.bulk_create(closing)
    Intake.objects.bulk_update(
        intakes,
        [
            *Intake.PERSONAL_FIELDS,
            "phone_hash",
            "state",
            "source_page",
            "status",
            *INTAKE_TIMESTAMPS,
        ],
    )
    activities = list(IntakeActivity.objects.filter(intake_id__in=ids).only("pk", "created_at"))
    for activity in activities:
        activity.created_at = month_start(activity.created_at)
    IntakeActivity.objects.bulk_update(activities, ["created_at"], batch_size=BATCH_SIZE)
    consents = list(ConsentRecord.objects.filter(intake_id__in=ids).only("pk", "given_at"))
    for record in consents:
        record.given_at = month_start(record.given_at)
        record.page = ""
    ConsentRecord.objects.bulk_update(consents, ["given_at", "page"], batch_size=BATCH_SIZE)


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


def intakes_rehash_phones() -> int:
    """Hash every stored phone again with the newest FIELD_HASH_KEY (hash key
    rotation); the number of intakes whose hash changed. Anonymised intakes
    keep no phone and are left alone."""
    changed = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            rows = list(
                Intake.objects.filter(pk__gt=last_pk)
                .exclude(phone_hash="")
                .order_by("pk")
                .select_for_update()
                .only("pk", "phone", "phone_hash")[:BATCH_SIZE]
            )
            if not rows:
                break
            stale = []
            for intake in rows:
                fresh = crypto.phone_hash(intake.phone)
                if intake.phone_hash != fresh:
                    intake.phone_hash = fresh
                    stale.append(intake)
            Intake.objects.bulk_update(stale, ["phone_hash"])
        last_pk = rows[-1].pk
        changed += len(stale)
    return changed
