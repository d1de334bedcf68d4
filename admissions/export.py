"""The CSV export of intakes, for the Admissions supervisors.

Every exported intake gets an access record. The free-text message is never exported,
and no cell can start a spreadsheet formula.
"""

import csv
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.template.defaultfilters import pluralize
from django.utils import timezone

from admissions.models import AccessRecord, Intake
from admissions.services import BATCH_SIZE, access_records_write

if TYPE_CHECKING:
    from django.contrib.auth.models import User  # settings.AUTH_USER_MODEL

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
    ("language", "Language for the call"),
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


def intake_export_csv(*, intakes: QuerySet, user: "User", include_personal: bool, out) -> int:
    """Write intakes as CSV to the file-like `out` and record the export, one access
    record per intake. No messages.

    With `include_personal`, the personal columns are filled for the intakes whose
    details the user may see (Intake.personal_data_visible_to) and left empty for
    the others.
    """
    columns = EXPORT_COLUMNS + (EXPORT_PERSONAL_COLUMNS if include_personal else [])
    personal_names = {name for name, _ in EXPORT_PERSONAL_COLUMNS}
    # defer(None) first: the admin list hands over a queryset that defers fields.
    queryset = intakes.defer(None).select_related("assigned_to").order_by("-created_at")
    if include_personal:
        queryset = queryset.defer("message")
    else:
        queryset = queryset.defer(*Intake.PERSONAL_FIELDS)
    writer = csv.writer(out)
    writer.writerow([label for _, label in columns])
    with_personal: list[int] = []
    without_personal: list[int] = []
    for intake in queryset.iterator(chunk_size=BATCH_SIZE):
        visible = include_personal and intake.personal_data_visible_to(user)
        (with_personal if visible else without_personal).append(intake.pk)
        row = []
        for name, _ in columns:
            if name in personal_names and not visible:
                value = ""
            elif name == "assigned_to":
                value = intake.assigned_to.get_username() if intake.assigned_to else ""
            elif name in {"status", "who_needs_help", "best_time", "contact_method", "language"}:
                value = getattr(intake, f"get_{name}_display")()
            elif name == "substances":
                value = "; ".join(intake.substance_labels())
            elif isinstance(getattr(intake, name), datetime):
                value = timezone.localtime(getattr(intake, name)).isoformat(timespec="seconds")
            else:
                value = getattr(intake, name)
            row.append(spreadsheet_safe(value))
        writer.writerow(row)
    count = len(with_personal) + len(without_personal)
    batches = [(with_personal, " with personal data"), (without_personal, "")]
    for ids, suffix in batches if count else [([None], "")]:
        if ids:
            access_records_write(
                user=user,
                action=AccessRecord.Action.EXPORT,
                intake_ids=ids,
                detail=f"export of {count} intake{pluralize(count)}{suffix}",
            )
    return count
