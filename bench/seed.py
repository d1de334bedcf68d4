"""Grow the bench database to a number of intakes, each with its consent record,
a timeline (activities) and access records, as months of use would leave them.

Rows are made in batches with bulk_create, so the personal fields go through the
real EncryptedTextField (every value encrypted, every phone number hashed). The
table is only ever grown: 1,000, then 10,000, then 100,000 reuse what exists.
After each step the tables are vacuumed and analysed, as autovacuum leaves them.
"""

import random
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from admissions import consent
from admissions.models import (
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    REFERENCE_PREFIX,
    AccessRecord,
    ConsentRecord,
    Intake,
    IntakeActivity,
)

BATCH = 2000
SPAN_DAYS = 180  # intakes are spread over the last six months
NAMES = ["Alex", "Sam", "Jordan", "Casey", "Riley", "Morgan", "Taylor", "Jamie", "Drew", "Quinn"]
INSURERS = ["", "", "Aetna", "Blue Cross", "Cigna", "Medicaid", "UnitedHealthcare"]
SOURCES = [
    *("", "home", "medications", "other"),
    *("baclofen", "naltrexone", "acamprosate", "gabapentin", "topiramate", "disulfiram"),
]
SUBSTANCES = ["alcohol", "opioids", "stimulants", "alcohol,opioids", "prefer_not_to_say", ""]
# Where intakes older than a day end up; newer ones are still being worked.
SETTLED = [
    (Intake.Status.CLOSED, 40),
    (Intake.Status.REFERRED_OUT, 10),
    (Intake.Status.ADMITTED, 10),
    (Intake.Status.ASSESSMENT_SCHEDULED, 10),
    (Intake.Status.CONTACTED, 15),
    (Intake.Status.ATTEMPTING, 10),
    (Intake.Status.NEW, 5),
]
RECENT = [(Intake.Status.NEW, 50), (Intake.Status.ATTEMPTING, 30), (Intake.Status.CONTACTED, 20)]


def _choose(rng: random.Random, weighted) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def reference(number: int) -> str:
    """A distinct reference in the product's alphabet for each number."""
    base = len(REFERENCE_ALPHABET)
    digits = []
    for _ in range(REFERENCE_LENGTH):
        number, digit = divmod(number, base)
        digits.append(REFERENCE_ALPHABET[digit])
    return REFERENCE_PREFIX + "".join(reversed(digits))


def truncate() -> None:
    tables = [
        model._meta.db_table for model in (AccessRecord, IntakeActivity, ConsentRecord, Intake)
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def _intake(rng: random.Random, number: int, now, navigators: list) -> Intake:
    created = now - timedelta(seconds=rng.uniform(0, SPAN_DAYS * 86400))
    settled = now - created > timedelta(days=1)
    status = _choose(rng, SETTLED if settled else RECENT)
    intake = Intake(
        reference=reference(number),
        status=status,
        assigned_to=rng.choice(navigators),
        first_name=rng.choice(NAMES),
        email=f"person{number}@example.org" if rng.random() < 0.7 else "",
        insurance_provider=rng.choice(INSURERS),
        insurance_member_id=f"M{number:09d}" if rng.random() < 0.5 else "",
        substances=rng.choice(SUBSTANCES),
        message="Please call after work." if rng.random() < 0.3 else "",
        who_needs_help=rng.choice(Intake.WhoNeedsHelp.values),
        best_time=rng.choice(Intake.BestTime.values),
        voicemail_ok=rng.random() < 0.6,
        contact_method=rng.choice(Intake.ContactMethod.values),
        state=rng.choice(["NY", "NJ", "CA", "TX", "FL", ""]),
        source_page=rng.choice(SOURCES),
        created_at=created,
        call_after=created,  # sent while admissions was open
        notified_at=created + timedelta(seconds=2),
    )
    intake.set_phone(f"+1202{number % 10_000_000:07d}")
    contacted = status not in Intake.AWAITING_CONTACT_STATUSES
    if contacted:
        intake.first_contacted_at = created + timedelta(minutes=rng.uniform(2, 120))
    if status == Intake.Status.CLOSED:
        intake.closed_at = created + timedelta(days=rng.uniform(1, 20))
    return intake


def _timeline(rng: random.Random, intake: Intake, navigators: list) -> list[IntakeActivity]:
    entries = [
        IntakeActivity(
            intake=intake,
            kind=IntakeActivity.Kind.STATUS_CHANGE,
            to_status=Intake.Status.NEW,
            note="Submitted through the website.",
            created_at=intake.created_at,
        )
    ]
    author = intake.assigned_to
    if intake.first_contacted_at:
        entries.append(
            IntakeActivity(
                intake=intake,
                kind=IntakeActivity.Kind.CALL_ATTEMPT,
                reached=True,
                note="Talked through options; wants an assessment.",
                author=author,
                created_at=intake.first_contacted_at,
            )
        )
    elif intake.status == Intake.Status.ATTEMPTING:
        entries.append(
            IntakeActivity(
                intake=intake,
                kind=IntakeActivity.Kind.VOICEMAIL,
                note="Left a voicemail.",
                author=author,
                created_at=intake.created_at + timedelta(minutes=5),
            )
        )
    if intake.status != Intake.Status.NEW:
        entries.append(
            IntakeActivity(
                intake=intake,
                kind=IntakeActivity.Kind.STATUS_CHANGE,
                from_status=Intake.Status.NEW,
                to_status=intake.status,
                author=author,
                created_at=intake.first_contacted_at or intake.created_at,
            )
        )
    return entries


def _access(intake: Intake, navigators: list) -> list[AccessRecord]:
    user = intake.assigned_to or navigators[0]
    return [
        AccessRecord(
            user=user,
            username=user.get_username(),
            intake=intake,
            action=action,
            created_at=intake.created_at + timedelta(minutes=minutes),
        )
        for action, minutes in ((AccessRecord.Action.VIEW, 3), (AccessRecord.Action.CHANGE, 6))
    ]


def grow_to(target: int, navigators: list, seed: int = 7) -> int:
    """Add intakes (and their records) until there are `target`; the number added."""
    existing = Intake.objects.count()
    rng = random.Random(seed + existing)
    wording = consent.WORDINGS[consent.CURRENT_VERSION]
    now = timezone.now()
    added = 0
    while existing + added < target:
        size = min(BATCH, target - existing - added)
        start = existing + added
        with transaction.atomic():
            intakes = Intake.objects.bulk_create(
                [_intake(rng, start + offset + 1, now, navigators) for offset in range(size)]
            )
            ConsentRecord.objects.bulk_create(
                ConsentRecord(
                    intake=intake,
                    wording_version=wording.version,
                    wording_sha256=wording.sha256,
                    given_at=intake.created_at,
                    page="/admissions/",
                )
                for intake in intakes
            )
            IntakeActivity.objects.bulk_create(
                entry for intake in intakes for entry in _timeline(rng, intake, navigators)
            )
            AccessRecord.objects.bulk_create(
                record for intake in intakes for record in _access(intake, navigators)
            )
        added += size
    # Months of intakes would have been vacuumed and analysed by autovacuum many
    # times over: the planner and the visibility map are in that state, not fresh.
    with connection.cursor() as cursor:
        for model in (Intake, IntakeActivity, ConsentRecord, AccessRecord):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    return added
