"""Helpers of the admissions tests: distinctive personal values, form data, an
intake past its retention period."""

import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from admissions import services
from admissions.forms import fill_token
from admissions.models import Intake

# Values distinctive enough to find anywhere they should not be.
PERSONAL = {
    "first_name": "Zebulonia",
    "phone": "(415) 555-2671",
    "email": "zebulonia.private@example.net",
    "insurance_provider": "Quixotic Mutual Health",
    "insurance_member_id": "QMH-99887766",
    "message": "My brother Thaddeus drinks every night",
}
PHONE_E164 = "+14155552671"


def csrf_secret_of(client) -> str:
    """The CSRF secret a test client's cookie holds ("" before it has one)."""
    cookie = client.cookies.get(settings.CSRF_COOKIE_NAME) if client is not None else None
    return cookie.value if cookie else ""


def signed_start(seconds_ago: float = 60, *, client=None) -> str:
    """A fill-time token for a form shown `seconds_ago`, bound to the client's
    CSRF cookie (or to none, as a test client without one posts)."""
    return fill_token(csrf_secret=csrf_secret_of(client), started=time.time() - seconds_ago)


def form_data(client=None, **overrides) -> dict:
    """A complete, valid POST of the intake form, filled a minute ago, its token
    bound to the client's CSRF cookie."""
    data = {
        **PERSONAL,
        "who_needs_help": "loved_one",
        "best_time": "evening",
        "voicemail_ok": "no",
        "contact_method": "call",
        "state": "CA",
        "substances": ["alcohol", "opioids"],
        "consent": "on",
        "website": "",
        "started": signed_start(client=client),
        "source": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def close_past_retention(intake: Intake, *, by=None) -> None:
    """Close the intake, as if longer ago than settings.ADMISSIONS_RETENTION_DAYS."""
    services.intake_set_status(intake=intake, status="closed", by=by)
    closed_at = timezone.now() - timedelta(days=settings.ADMISSIONS_RETENTION_DAYS + 1)
    Intake.objects.filter(pk=intake.pk).update(closed_at=closed_at)


INTAKE_LIST = "/admin/admissions/intake/"


def change_url(intake) -> str:
    return f"{INTAKE_LIST}{intake.pk}/change/"


def change_form(intake, **overrides) -> dict:
    """The POST of the intake change page, with an empty timeline form."""
    data = {
        "status": intake.status,
        "assigned_to": intake.assigned_to_id or "",
        "activities-TOTAL_FORMS": "1",
        "activities-INITIAL_FORMS": "0",
        "activities-MIN_NUM_FORMS": "0",
        "activities-MAX_NUM_FORMS": "1",
        "activities-0-kind": "",
        "activities-0-note": "",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def on_duty(user, now=None) -> None:
    """Put a navigator on duty: available, and seen in the admin at `now`."""
    from admissions.models import NavigatorState

    NavigatorState.objects.update_or_create(
        user=user, defaults={"available": True, "last_seen_at": now or timezone.now()}
    )
