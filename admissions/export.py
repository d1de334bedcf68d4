"""The CSV export of intakes, for the Admissions supervisors.

Every export writes an access record. The free-text message is never exported,
and no cell can start a spreadsheet formula.
"""

import csv
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from admissions.models import AccessRecord, Intake
from admissions.services import BATCH_SIZE, access_record_write

# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

EXPORT_COLUMNS = [
    ("reference", "Reference"),
    ("created_at", "Submitted"),
    ("status", "Status"),
    ("assigned_to", "Navigator"),
    ("source_page", "Source page"),
    ("who_needs_help", "Who needs help"),
    ("best_time", "Best time"),
    ("voicemail_ok", "Voicemail OK"),
    ("contact_method", "Preferred contact"),
    ("state", "State"),
    ("first_contacted_at", "First contacted"),
]
EXPORT_PERSONAL_COLUMNS = [
    ("first_name", "First name"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("substances", "Substances"),
    ("insurance_provider", "Insurance provider"),
    ("insurance_member_id", "Insurance member ID"),
]
# The free-text message is never exported.


def spreadsheet_safe(value) -> str:
    """The cell text, made inert if a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def intake_export_csv(
    *, intakes: QuerySet, user: AbstractBaseUser, include_personal: bool, out
) -> int:
    """Write intakes as CSV to the file-like `out` and record the export. No messages."""
    columns = EXPORT_COLUMNS + (EXPORT_PERSONAL_COLUMNS if include_personal else [])
    # defer(None) first: the admin list hands over a queryset that defers fields.
    queryset = intakes.defer(None).select_related("assigned_to").order_by("-created_at")
    if include_personal:
        queryset = queryset.defer("message")
    else:
        queryset = queryset.defer(*Intake.PERSONAL_FIELDS)
    writer = csv.writer(out)
    writer.writerow([label for _, label in columns])
    count = 0
    for intake in queryset.iterator(chunk_size=BATCH_SIZE):
        row = []
        for name, _ in columns:
            if name == "assigned_to":
                value = intake.assigned_to.get_username() if intake.assigned_to else ""
            elif name in {"status", "who_needs_help", "best_time", "contact_method"}:
                value = getattr(intake, f"get_{name}_display")()
            elif name == "substances":
                value = "; ".join(intake.substance_labels())
            elif isinstance(getattr(intake, name), datetime):
                value = timezone.localtime(getattr(intake, name)).isoformat(timespec="seconds")
            else:
                value = getattr(intake, name)
            row.append(spreadsheet_safe(value))
        writer.writerow(row)
        count += 1
    access_record_write(
        user=user,
        action=AccessRecord.Action.EXPORT,
        detail=f"export of {count} intakes" + (" with personal data" if include_personal else ""),
    )
    return count
