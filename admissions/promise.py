"""The callback promise: what the intake form and its confirmation tell a person
about when a navigator will call.

One function words it for both pages, from the same facts routing uses
(admissions/services.py): whether admissions is open (the schedule) and whether
a navigator is on duty (NavigatorState.objects.on_duty). So the pages never
promise a call within minutes while nobody is there to make it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from admissions.models import NavigatorState
from admissions.schedule import schedule_current

# A call_after this close to now is "now": the form was sent in the person's window.
NOW_TOLERANCE = timedelta(minutes=1)


@dataclass(frozen=True)
class CallbackPromise:
    """`state` is "closed", "chosen" (open, and the person asked for a later
    time), "busy" (open, nobody on duty) or "soon" (open, a navigator on duty).
    `sentence` says it to the person."""

    state: str
    sentence: str

    @property
    def urgent_numbers_needed(self) -> bool:
        """Whether the page should point to the 24/7 numbers for anything urgent."""
        return self.state in {"busy", "closed"}


def callback_promise(
    *, now: datetime | None = None, call_after: datetime | None = None
) -> CallbackPromise:
    """The promise for a person writing at `now`, whose intake is to be called
    at `call_after` (Intake.call_after) or, before they have chosen, as soon as
    admissions is open."""
    now = now or timezone.now()
    schedule = schedule_current()
    zone = schedule.zone_name
    if not schedule.is_open(now):
        after = max(call_after or now, schedule.next_opening(now))
        return CallbackPromise(
            "closed",
            gettext("We are closed now. A navigator will call you after %(when)s (%(zone)s).")
            % {"when": schedule.when(after, now), "zone": zone},
        )
    if call_after is not None and call_after > now + NOW_TOLERANCE:
        return CallbackPromise(
            "chosen",
            gettext("A navigator will call you after %(when)s (%(zone)s), the time you chose.")
            % {"when": schedule.when(call_after, now), "zone": zone},
        )
    if not NavigatorState.objects.on_duty(now).exists():
        return CallbackPromise(
            "busy",
            gettext(
                "Our navigators are all busy right now. The first one free will call you back."
            ),
        )
    minutes = settings.ADMISSIONS_CALLBACK_MINUTES
    sentence = ngettext(
        "A navigator will call you within %(minutes)d minute.",
        "A navigator will call you within %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    return CallbackPromise("soon", sentence)
