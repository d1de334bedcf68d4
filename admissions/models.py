"""Models of the admissions app: intakes, their timeline, consent and access records.

Personal fields are encrypted at rest (EncryptedTextField). Nothing personal
appears in __str__: an intake is known by its reference everywhere.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from admissions import audit, crypto, roles
from admissions.fields import EncryptedTextField

REFERENCE_PREFIX = "CR-"
# No 0/O, 1/I/L: a reference read out on the phone is not misheard.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 6
# A reference as staff type it: any case, with or without the prefix or its dash.
REFERENCE_TYPED = re.compile(
    f"(?:{re.escape(REFERENCE_PREFIX.rstrip('-'))}-?)?"  # "CR-", "CR" or nothing
    f"([{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}})"
)


def normalise_reference(text: str) -> str | None:
    """The stored form (CR-7K3F9Q) of a reference typed as cr-7k3f9q, CR7K3F9Q or
    7K3F9Q; None when the text cannot be a reference."""
    match = REFERENCE_TYPED.fullmatch(text.strip().upper())
    return REFERENCE_PREFIX + match.group(1) if match else None


def random_reference() -> str:
    """A random reference: REFERENCE_PREFIX, then REFERENCE_LENGTH characters of
    REFERENCE_ALPHABET (31**6, about 887 million). It may be taken already: the
    unique index says so when it is saved (services.intake_submit draws again)."""
    return REFERENCE_PREFIX + "".join(
        secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH)
    )


class IntakeQuerySet(models.QuerySet):
    def awaiting_contact(self):
        """Intakes nobody has reached yet and that still expect a call."""
        return self.filter(
            first_contacted_at__isnull=True, status__in=Intake.AWAITING_CONTACT_STATUSES
        )

    def waiting_unassigned(self):
        """Awaiting contact and taken by nobody: the intakes a navigator going
        available is told of (the on-call inbox was told of each meanwhile)."""
        return self.awaiting_contact().filter(assigned_to=None)

    def overdue(self, now=None):
        """Awaiting contact for longer than the SLA (settings.ADMISSIONS_SLA_MINUTES),
        counted from the intake's call_after (so nights and weekends do not count)."""
        return self.awaiting_contact().filter(call_after__lt=Intake.sla_cutoff(now))

    def not_overdue(self, now=None):
        return self.filter(
            Q(first_contacted_at__isnull=False)
            | ~Q(status__in=Intake.AWAITING_CONTACT_STATUSES)
            | Q(call_after__gte=Intake.sla_cutoff(now))
        )

    def due_for_escalation(self, now=None):
        return self.overdue(now).filter(escalated_at__isnull=True)

    def unnotified(self, *, older_than):
        """Saved before older_than, never notified, and not re-queued since then."""
        return self.filter(
            notified_at__isnull=True, anonymised_at__isnull=True, created_at__lt=older_than
        ).filter(Q(requeued_at__isnull=True) | Q(requeued_at__lt=older_than))

    def past_retention(self, now=None):
        """Not yet anonymised, and past settings.ADMISSIONS_RETENTION_DAYS: closed
        that long ago, or, whatever the status, untouched that long (the row
        unchanged and no timeline entry added)."""
        now = now or timezone.now()
        cutoff = now - timedelta(days=settings.ADMISSIONS_RETENTION_DAYS)
        recent_activity = IntakeActivity.objects.filter(
            intake=OuterRef("pk"), created_at__gte=cutoff
        )
        closed_long_ago = Q(status=Intake.Status.CLOSED, closed_at__lt=cutoff)
        untouched = Q(updated_at__lt=cutoff) & ~Exists(recent_activity)
        return self.filter(anonymised_at__isnull=True).filter(closed_long_ago | untouched)

    def unused_reference(self) -> str:
        """A new random reference (random_reference) that no intake has."""
        for _ in range(10):
            reference = random_reference()
            if not self.reference_taken(reference):
                return reference
        raise RuntimeError("could not find an unused intake reference")

    def reference_taken(self, reference: str) -> bool:
        return self.model._base_manager.filter(reference=reference).exists()

    def with_phone(self, e164: str):
        """Intakes with this phone number, hashed under any FIELD_HASH_KEY."""
        return self.filter(phone_hash__in=crypto.phone_hashes(e164))

    def count_by_status(self):
        rows = self.values("status").annotate(count=Count("pk")).order_by()
        counts = {row["status"]: row["count"] for row in rows}
        return [(status, counts.get(status.value, 0)) for status in Intake.Status]

    def personal_data_visible_to(self, user):
        """The intakes whose personal details the user may see (Intake.personal_data_visible_to)."""
        if not user.has_perm(roles.PERSONAL_DATA_PERMISSION):
            return self.none()
        if user.has_perm(roles.ALL_PERSONAL_DATA_PERMISSION):
            return self
        return self.filter(assigned_to_id=user.pk)


class Language(models.TextChoices):
    """The languages a person may be called back in, and navigators may speak: the
    site's own (settings.LANGUAGES). Labels for staff; the form has its own."""

    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"


class Intake(models.Model):
    """A request for a callback. Personal fields are encrypted at rest."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        ATTEMPTING = "attempting", "Attempting contact"
        CONTACTED = "contacted", "Contacted"
        ASSESSMENT_SCHEDULED = "assessment_scheduled", "Assessment scheduled"
        ADMITTED = "admitted", "Admitted"
        REFERRED_OUT = "referred_out", "Referred out"
        CLOSED = "closed", "Closed"

    class WhoNeedsHelp(models.TextChoices):
        SELF = "self", gettext_lazy("Me")
        LOVED_ONE = "loved_one", gettext_lazy("A loved one")
        CLIENT = "client", gettext_lazy("A client I am referring")

    class BestTime(models.TextChoices):
        MORNING = "morning", gettext_lazy("Morning (8 am to noon)")
        AFTERNOON = "afternoon", gettext_lazy("Afternoon (noon to 5 pm)")
        EVENING = "evening", gettext_lazy("Evening (5 pm to 8 pm)")
        ANY = "any", gettext_lazy("Any time")

    # The clock times of each best time to call (minutes after midnight, in the
    # clinic's zone), as their labels say; "any" has none.
    BEST_TIME_WINDOWS: dict[str, tuple[int, int]] = {
        BestTime.MORNING: (8 * 60, 12 * 60),
        BestTime.AFTERNOON: (12 * 60, 17 * 60),
        BestTime.EVENING: (17 * 60, 20 * 60),
    }

    class ContactMethod(models.TextChoices):
        CALL = "call", gettext_lazy("Phone call")
        TEXT = "text", gettext_lazy("Text message")

    class Substance(models.TextChoices):
        ALCOHOL = "alcohol", gettext_lazy("Alcohol")
        OPIOIDS = "opioids", gettext_lazy("Opioids (including fentanyl, heroin, pain pills)")
        STIMULANTS = "stimulants", gettext_lazy("Stimulants (methamphetamine, cocaine)")
        BENZODIAZEPINES = "benzodiazepines", gettext_lazy("Benzodiazepines or sleeping pills")
        CANNABIS = "cannabis", gettext_lazy("Cannabis")
        OTHER = "other", gettext_lazy("Something else")
        PREFER_NOT_TO_SAY = "prefer_not_to_say", gettext_lazy("Prefer not to say")

    AWAITING_CONTACT_STATUSES = (Status.NEW, Status.ATTEMPTING)
    CONTACT_MADE_STATUSES = (
        Status.CONTACTED,
        Status.ASSESSMENT_SCHEDULED,
        Status.ADMITTED,
        Status.REFERRED_OUT,
    )
    PERSONAL_FIELDS = (
        "first_name",
        "phone",
        "email",
        "insurance_provider",
        "insurance_member_id",
        "substances",
        "message",
    )

    reference = models.CharField(max_length=12, unique=True, editable=False)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.NEW)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_intakes",
        verbose_name="assigned navigator",
        db_index=False,  # intake_assignee_created_idx leads with it
    )

    # Personal data: encrypted at rest, cleared by the retention sweep.
    first_name = EncryptedTextField()
    phone = EncryptedTextField(help_text="E.164 form, for example +12025550147.")
    phone_hash = models.CharField(max_length=64, db_index=True, editable=False)
    email = EncryptedTextField(blank=True)
    insurance_provider = EncryptedTextField(blank=True)
    insurance_member_id = EncryptedTextField("insurance member ID", blank=True)
    substances = EncryptedTextField(
        "substances of concern", blank=True, help_text="Comma-separated codes."
    )
    message = EncryptedTextField(blank=True)

    # Preferences: not identifying on their own, kept in plain text.
    who_needs_help = models.CharField(max_length=16, choices=WhoNeedsHelp.choices)
    best_time = models.CharField("best time to call", max_length=16, choices=BestTime.choices)
    voicemail_ok = models.BooleanField("OK to leave a voicemail")
    contact_method = models.CharField(
        "preferred contact", max_length=8, choices=ContactMethod.choices
    )
    state = models.CharField(max_length=2, blank=True)
    # The language the person asked to be called back in: the form's page language
    # unless they chose the other one (a preference, kept like the others).
    language = models.CharField(
        "language for the call",
        max_length=2,
        choices=Language.choices,
        default=Language.ENGLISH,
        db_index=False,  # intake_language_created_idx leads with it
    )
    source_page = models.CharField(
        max_length=80, blank=True, help_text="The page that sent the person (?from=...)."
    )

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The SLA clock starts here: the first moment admissions is open, at or after
    # submission, within the person's best time to call (admissions/schedule.py).
    call_after = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    requeued_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_contacted_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = IntakeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["-created_at"], name="intake_created_idx"),
            models.Index(fields=["status", "-created_at"], name="intake_status_created_idx"),
            models.Index(fields=["assigned_to", "-created_at"], name="intake_assignee_created_idx"),
            models.Index(fields=["source_page", "-created_at"], name="intake_source_created_idx"),
            models.Index(fields=["language", "-created_at"], name="intake_language_created_idx"),
            models.Index(
                fields=["call_after"],
                condition=Q(first_contacted_at__isnull=True),
                name="intake_awaiting_contact_idx",
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(notified_at__isnull=True),
                name="intake_unnotified_idx",
            ),
            models.Index(
                fields=["closed_at"],
                condition=Q(anonymised_at__isnull=True),
                name="intake_retention_idx",
            ),
            # The Admissions overview reads a period of intakes from this index
            # alone (an index-only scan), not from the rows, which the encrypted
            # personal fields make wide (admissions/overview.py). Key columns, not
            # INCLUDE, which SQLite does not have.
            models.Index(
                fields=[
                    "created_at",
                    "id",
                    "source_page",
                    "status",
                    "first_contacted_at",
                    "call_after",
                    "language",
                ],
                condition=Q(anonymised_at__isnull=True),
                name="intake_overview_idx",
            ),
            # The overview's (and the list's) overdue count: the intakes awaiting
            # contact, by when their clock started, counted from this index alone
            # (an index-only scan) rather than from ten thousand table pages.
            models.Index(
                fields=["call_after"],
                condition=Q(first_contacted_at__isnull=True, status__in=["new", "attempting"]),
                name="intake_overdue_idx",
            ),
        ]
        permissions = [
            ("view_personal_data", "Can see an intake's personal data"),
            ("view_all_personal_data", "Can see the personal data of intakes of others"),
            ("export_intakes", "Can export intakes to CSV"),
        ]

    def __str__(self):
        return self.reference

    @staticmethod
    def sla_cutoff(now=None):
        now = now or timezone.now()
        return now - timedelta(minutes=settings.ADMISSIONS_SLA_MINUTES)

    def admin_url(self) -> str:
        """Absolute link to the intake in the staff admin (settings.SITE_URL)."""
        return settings.SITE_URL + reverse("admin:admissions_intake_change", args=[self.pk])

    def set_phone(self, e164: str) -> None:
        self.phone = e164
        self.phone_hash = crypto.phone_hash(e164)

    @property
    def substance_list(self) -> list[str]:
        return [code for code in self.substances.split(",") if code]

    def substance_labels(self) -> list[str]:
        labels = dict(self.Substance.choices)
        return [str(labels.get(code, code)) for code in self.substance_list]

    def is_awaiting_contact(self) -> bool:
        """Nobody has reached the person yet and the intake still expects a call
        (IntakeQuerySet.awaiting_contact)."""
        return self.first_contacted_at is None and self.status in self.AWAITING_CONTACT_STATUSES

    def is_overdue(self, now=None) -> bool:
        return self.is_awaiting_contact() and self.call_after < self.sla_cutoff(now)

    @property
    def contact_due_at(self):
        """When the SLA runs out: call_after plus settings.ADMISSIONS_SLA_MINUTES."""
        return self.call_after + timedelta(minutes=settings.ADMISSIONS_SLA_MINUTES)

    def age(self, now=None) -> timedelta:
        return (now or timezone.now()) - self.created_at

    def personal_data_visible_to(self, user) -> bool:
        """Whether the user may see this intake's personal details and notes: with
        the personal data permission, when it is assigned to them; with the wider
        view_all_personal_data permission (supervisors), always."""
        if not user.has_perm(roles.PERSONAL_DATA_PERMISSION):
            return False
        return user.has_perm(roles.ALL_PERSONAL_DATA_PERMISSION) or (
            self.assigned_to_id is not None and self.assigned_to_id == user.pk
        )

    def apply_status(self, status: str, now=None) -> None:
        """Set the status and the timestamps that follow from it (no save)."""
        now = now or timezone.now()
        self.status = status
        if status in self.CONTACT_MADE_STATUSES and self.first_contacted_at is None:
            self.first_contacted_at = now
        if status == self.Status.CLOSED:
            self.closed_at = self.closed_at or now
        else:
            self.closed_at = None


class IntakeActivity(models.Model):
    """One entry of an intake's timeline: a call, a voicemail, a note, a status change."""

    class Kind(models.TextChoices):
        CALL_ATTEMPT = "call_attempt", "Call attempt"
        VOICEMAIL = "voicemail", "Voicemail left"
        NOTE = "note", "Note"
        STATUS_CHANGE = "status_change", "Status change"
        # Written by intake_notify when no navigator on duty could take the intake.
        ONCALL_CLOSED = "oncall_closed", "On-call told: admissions closed"
        ONCALL_NOBODY = "oncall_nobody", "On-call told: nobody on duty"
        # A Spanish intake no Spanish-speaking navigator on duty could take.
        SPANISH_NEEDED = "spanish_needed", "Spanish speaker needed: none on duty"

    intake = models.ForeignKey(
        Intake,
        on_delete=models.CASCADE,
        related_name="activities",
        db_index=False,  # activity_intake_idx leads with it
    )
    # What staff log by hand (the rest the services write).
    STAFF_KINDS = (Kind.CALL_ATTEMPT, Kind.VOICEMAIL, Kind.NOTE)

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CALL_ATTEMPT)
    reached = models.BooleanField(
        "spoke with the person", default=False, help_text="For a call attempt that got through."
    )
    note = EncryptedTextField(blank=True)
    from_status = models.CharField(max_length=32, blank=True, choices=Intake.Status.choices)
    to_status = models.CharField(max_length=32, blank=True, choices=Intake.Status.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept when the account is gone: the timeline still says who did it.
    author_username = models.CharField(max_length=150, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["intake", "-created_at"], name="activity_intake_idx"),
            # The intakes that reached an assessment or admission, for the
            # Admissions overview (overview.ASSESSED_STATUSES).
            models.Index(
                fields=["to_status", "intake"],
                condition=Q(
                    kind="status_change", to_status__in=["assessment_scheduled", "admitted"]
                ),
                name="activity_assessed_idx",
            ),
        ]
        verbose_name = "activity"
        verbose_name_plural = "activities"

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    def save(self, *args, **kwargs):
        if self._state.adding and self.author is not None and not self.author_username:
            self.author_username = self.author.get_username()
        super().save(*args, **kwargs)

    def summary(self) -> str:
        """What happened, without the note."""
        if self.kind == self.Kind.STATUS_CHANGE:
            to_label = Intake.Status(self.to_status).label
            if not self.from_status:
                return f"Received: {to_label}"
            return f"Status: {Intake.Status(self.from_status).label} to {to_label}"
        if self.kind == self.Kind.CALL_ATTEMPT and self.reached:
            return "Call: spoke with the person"
        return self.get_kind_display()


class ConsentRecord(models.Model):
    """The consent given with an intake: which wording, when, on which page."""

    intake = models.OneToOneField(Intake, on_delete=models.CASCADE, related_name="consent")
    wording_version = models.CharField(max_length=20)
    wording_sha256 = models.CharField(max_length=64)
    given_at = models.DateTimeField(default=timezone.now)
    page = models.CharField(max_length=200)

    def __str__(self):
        return f"Consent {self.wording_version} #{self.pk}"


@dataclass(frozen=True)
class ChainCheck:
    """What verifying the access records' hash chain found."""

    count: int  # records checked, the broken one included
    last_hash: str  # row_hash of the last intact record
    broken_pk: int | None = None
    problem: str = ""


class AccessRecordQuerySet(models.QuerySet["AccessRecord"]):
    """Refuses every change and deletion; the database refuses them too (a
    PostgreSQL trigger, migration 0005)."""

    def delete(self):
        raise PermissionError("access records cannot be deleted")

    def _raw_delete(self, using):
        raise PermissionError("access records cannot be deleted")

    def update(self, **kwargs):
        raise PermissionError("access records cannot be changed")

    def _update(self, values):
        raise PermissionError("access records cannot be changed")

    def last_in_chain(self):
        return self.order_by("-pk").only("pk", "row_hash").first()

    def verify_chain(self) -> ChainCheck:
        """Walk the records in order and stop at the first one whose prev_hash is
        not the row_hash before it or whose row_hash does not match its fields."""
        previous = audit.GENESIS_HASH
        count = 0
        for record in self.order_by("pk").iterator(chunk_size=2000):
            count += 1
            if record.prev_hash != previous:
                return ChainCheck(
                    count, previous, record.pk, "its prev_hash is not the hash of the record before"
                )
            if record.row_hash != record.digest():
                return ChainCheck(
                    count, previous, record.pk, "its fields do not match its row_hash"
                )
            previous = record.row_hash
        return ChainCheck(count, previous)


class AccessRecord(models.Model):
    """Who looked at, changed or exported intakes, and when. Written once, never changed."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        CHANGE = "change", "Changed"
        EXPORT = "export", "Exported"
        SEARCH = "search", "Searched by phone"

    # PROTECT: an account that left records is deactivated, never deleted.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    username = models.CharField(max_length=150)
    intake = models.ForeignKey(
        Intake,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_records",
        db_index=False,  # access_intake_idx leads with it
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    detail = models.CharField(max_length=200, blank=True)
    phone_hash = models.CharField(
        max_length=64, blank=True, help_text="A phone search: the keyed hash searched for."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    row_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = AccessRecordQuerySet.as_manager()

    class Meta:
        # Related lookups and Model.save() use the guarded manager too.
        base_manager_name = "objects"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["-created_at"], name="access_created_idx"),
            models.Index(fields=["intake", "-created_at"], name="access_intake_idx"),
        ]

    # The detail of a VIEW: whether the page showed the intake's personal details.
    VIEW_PERSONAL = "personal details shown"
    VIEW_HIDDEN = "personal details hidden"

    def __str__(self):
        """What happened, in words: "nora viewed CR-7K3F9Q's personal details",
        "sam changed CR-7K3F9Q: status to Contacted" (the intake is loaded)."""
        who = self.username
        reference = self.intake.reference if self.intake is not None else None
        if self.action == self.Action.VIEW:
            if self.detail == self.VIEW_PERSONAL:
                return f"{who} viewed {reference}'s personal details"
            hidden = ", personal details hidden" if self.detail == self.VIEW_HIDDEN else ""
            return f"{who} opened {reference}{hidden}"
        if self.action == self.Action.CHANGE:
            changed = f"{who} changed {reference}"
            return f"{changed}: {self.detail}" if self.detail else changed
        if self.action == self.Action.EXPORT:
            done = f"{who} exported {reference}" if reference else f"{who} exported no intake"
        else:
            found = reference or "no intake"
            done = f"{who} searched by phone number and found {found}"
        return f"{done} ({self.detail})" if self.detail else done

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("access records cannot be changed")
        if not self.row_hash:
            raise ValueError("access records are appended by services.access_record_write")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("access records cannot be deleted")

    def digest(self) -> str:
        """The row_hash this record's fields and prev_hash give."""
        return audit.record_digest(
            prev_hash=self.prev_hash,
            created_at=self.created_at,
            username=self.username,
            intake_id=self.intake_id,
            action=self.action,
            detail=self.detail,
            phone_hash=self.phone_hash,
        )


def duty_away_after() -> timedelta:
    """How long a navigator goes without a request to the admin before they count
    as away: settings.ADMISSIONS_AWAY_AFTER_MINUTES, or SESSION_COOKIE_AGE when
    that is sooner (their session has ended by then)."""
    return min(
        timedelta(minutes=settings.ADMISSIONS_AWAY_AFTER_MINUTES),
        timedelta(seconds=settings.SESSION_COOKIE_AGE),
    )


def duty_seen_since(now):
    """A navigator last seen in the admin before this counts as away."""
    return now - duty_away_after()


def languages_text(codes) -> str:
    """How NavigatorState.languages stores a set of codes: each once, comma-separated,
    in the order of Language (English first)."""
    chosen = set(codes)
    return ",".join(code for code in Language.values if code in chosen)


class NavigatorStateQuerySet(models.QuerySet):
    def speaking(self, language: str):
        """Navigators who speak the language (its code among their languages)."""
        return self.filter(
            Q(languages=language)
            | Q(languages__startswith=f"{language},")
            | Q(languages__endswith=f",{language}")
            | Q(languages__contains=f",{language},")
        )

    def on_duty(self, now=None):
        """Navigators taking intakes now: active members of the Navigators group
        with an email address, marked available, and seen in the admin since
        duty_seen_since (otherwise they count as away)."""
        now = now or timezone.now()
        members = roles.active_members(roles.NAVIGATORS_GROUP, with_email=True)
        return self.filter(
            available=True, last_seen_at__gte=duty_seen_since(now), user__in=members.values("pk")
        )


class NavigatorState(models.Model):
    """A navigator's staff profile for admissions: the languages they speak, their
    duty state (available or away, last seen) and when they were last given an
    intake (the round robin's memory). A staff member without one speaks English
    and is away."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="navigator_state",
    )
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    available = models.BooleanField(default=False)
    available_since = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # Language codes (Language), comma-separated in Language's order: languages_text.
    languages = models.CharField(
        "languages spoken",
        max_length=40,
        default=Language.ENGLISH,
        help_text="The languages this navigator can hold a call in. A Spanish intake goes "
        "to a Spanish speaker on duty first.",
    )

    objects = NavigatorStateQuerySet.as_manager()

    class Meta:
        verbose_name = "staff profile"

    def __str__(self):
        return f"Staff profile #{self.pk}"

    @property
    def language_codes(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]

    def speaks(self, language: str) -> bool:
        return language in self.language_codes

    def language_labels(self) -> list[str]:
        labels = dict(Language.choices)
        return [str(labels.get(code, code)) for code in self.language_codes]


class AdmissionsOverview(Intake):
    """A proxy so the admin index links the "Admissions overview" page."""

    class Meta:
        proxy = True
        verbose_name = "admissions overview"
        verbose_name_plural = "admissions overview"
