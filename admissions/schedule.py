"""Admissions opening hours as data: the weekly schedule and the closed dates.

`ADMISSIONS_HOURS` is a weekly schedule in the clinic's time zone (TIME_ZONE):
groups separated by ";", each a list of days and one or more spans, such as
`mon-fri 08:00-20:00; sat,sun 09:00-17:00` or `mon-fri 08:00-12:00,13:00-17:00`.
Days are mon tue wed thu fri sat sun, as ranges (`mon-fri`, `fri-mon` wraps)
and comma-separated lists. A span is HH:MM-HH:MM, start inclusive, end
exclusive; an end of 24:00 is midnight at the end of the day. A span past
midnight (22:00-02:00) is refused: write it as two, `fri 22:00-24:00; sat
00:00-02:00` (touching spans are one open period). Overlapping spans are refused.

`ADMISSIONS_CLOSED_DATES` lists ISO dates (2026-12-25,2027-01-01), comma-separated:
a closed date has no spans.

Spans are wall-clock times in the clinic's zone. On a daylight-saving change day
each edge is the first moment the clock shows that time or later: a time skipped
in spring opens or closes when the clock jumps, a time repeated in autumn is its
first occurrence.
"""

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.translation import gettext, gettext_lazy

HOURS_VARIABLE = "ADMISSIONS_HOURS"
CLOSED_VARIABLE = "ADMISSIONS_CLOSED_DATES"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# In messages about the setting; what people read uses Django's translated WEEKDAYS.
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MINUTES_PER_DAY = 24 * 60
# Names people know for the zones of the United States; others show their key.
ZONE_NAMES = {
    "America/New_York": gettext_lazy("Eastern Time"),
    "America/Detroit": gettext_lazy("Eastern Time"),
    "America/Chicago": gettext_lazy("Central Time"),
    "America/Denver": gettext_lazy("Mountain Time"),
    "America/Phoenix": gettext_lazy("Mountain Time"),
    "America/Los_Angeles": gettext_lazy("Pacific Time"),
    "America/Anchorage": gettext_lazy("Alaska Time"),
    "Pacific/Honolulu": gettext_lazy("Hawaii Time"),
}
_GROUP = re.compile(r"(?P<days>\S+)\s+(?P<spans>\S+)")
_SPAN = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")
FORMAT_HINT = "such as 'mon-fri 08:00-20:00; sat,sun 09:00-17:00'"

Span = tuple[int, int]  # minutes after midnight: start inclusive, end exclusive


def _hours_error(reason: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{HOURS_VARIABLE} {reason} (the format is {FORMAT_HINT}).")


def _parse_days(text: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise _hours_error(f"has {part!r} where days are expected (mon, tue ... sun)")
        start = DAYS.index(first)
        stop = DAYS.index(last) if last else start
        days.extend((start + step) % 7 for step in range((stop - start) % 7 + 1))
    return days


def _parse_span(text: str) -> Span:
    match = _SPAN.fullmatch(text)
    if not match:
        raise _hours_error(f"has {text!r} where a span HH:MM-HH:MM is expected")
    h1, m1, h2, m2 = (int(group) for group in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise _hours_error(f"has {text!r}, which is not a time of day (00:00 to 24:00)")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise _hours_error(
            f"has {text!r}, which ends before it starts: a span past midnight is written "
            "as two, e.g. 'fri 22:00-24:00; sat 00:00-02:00'"
        )
    return start, end


def _parse_week(raw: str) -> tuple[tuple[Span, ...], ...]:
    week: list[list[Span]] = [[] for _ in DAYS]
    groups = [group.strip() for group in raw.lower().split(";") if group.strip()]
    if not groups:
        raise _hours_error("is empty")
    for group in groups:
        match = _GROUP.fullmatch(group)
        if not match:
            raise _hours_error(f"has {group!r}, which is not days followed by spans")
        spans = [_parse_span(span) for span in match["spans"].split(",")]
        for day in _parse_days(match["days"]):
            week[day].extend(spans)
    for day, spans in enumerate(week):
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            if start < end:
                raise _hours_error(f"has overlapping spans on {DAY_NAMES[day]}")
    return tuple(tuple(spans) for spans in week)


def _parse_closed(raw: str) -> frozenset[date]:
    closed = set()
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            closed.add(date.fromisoformat(item))
        except ValueError:
            raise ImproperlyConfigured(
                f"{CLOSED_VARIABLE} must list dates such as 2026-12-25, comma-separated "
                f"({item!r} is not one)."
            ) from None
    return frozenset(closed)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"TIME_ZONE {name!r} is not a known time zone.") from None


def _twelve_hour() -> bool:
    """English says '8 am'; the other languages read the 24-hour clock ('20:00')."""
    return (translation.get_language() or "en").startswith("en")


def _wall_time(minutes: int) -> str:
    if not _twelve_hour():
        hour, minute = divmod(minutes, 60)
        return f"{hour}:{minute:02d}"
    if minutes in (0, MINUTES_PER_DAY):
        return "midnight"
    if minutes == 12 * 60:
        return "noon"
    hour, minute = divmod(minutes, 60)
    suffix = "am" if hour < 12 else "pm"
    hour = hour % 12 or 12
    return f"{hour}:{minute:02d} {suffix}" if minute else f"{hour} {suffix}"


def _and(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return gettext("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def _day_names(days: list[int]) -> str:
    if len(days) == 7:
        return gettext("Every day")
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    names = []
    for run in runs:
        if len(run) >= 3:
            names.append(
                gettext("%(first)s to %(last)s")
                % {"first": WEEKDAYS[run[0]], "last": WEEKDAYS[run[-1]]}
            )
        else:
            names.extend(str(WEEKDAYS[day]) for day in run)
    return _and(names)


@dataclass(frozen=True)
class Schedule:
    """Weekly spans (index 0 is Monday) in `zone`, closed on `closed` dates."""

    week: tuple[tuple[Span, ...], ...]
    closed: frozenset[date]
    zone: ZoneInfo

    def spans_on(self, day: date) -> tuple[Span, ...]:
        return () if day in self.closed else self.week[day.weekday()]

    def _instant(self, day: date, minutes: int) -> datetime:
        """The first moment, in UTC, at which the clinic's clock shows `minutes`
        after midnight of `day`, or later (a time skipped by DST opens at the jump)."""
        day += timedelta(days=minutes // MINUTES_PER_DAY)
        wall = datetime.combine(day, time(*divmod(minutes % MINUTES_PER_DAY, 60)))
        first = wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        if first.astimezone(self.zone).replace(tzinfo=None) == wall:
            return first  # exists (fold=0 is the first of a repeated time)
        # Skipped: bisect between the two readings for the jump.
        low = int(wall.replace(tzinfo=self.zone, fold=1).timestamp())
        high = int(first.timestamp())
        while low < high:
            middle = (low + high) // 2
            shown = datetime.fromtimestamp(middle, self.zone).replace(tzinfo=None)
            low, high = (middle + 1, high) if shown < wall else (low, middle)
        return datetime.fromtimestamp(low, UTC)

    def _periods(self, first_day: date, days: int) -> list[tuple[datetime, datetime]]:
        """Open periods from `first_day` on, touching spans merged, in UTC."""
        periods: list[tuple[datetime, datetime]] = []
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            for start, end in self.spans_on(day):
                opens, closes = self._instant(day, start), self._instant(day, end)
                if opens >= closes:
                    continue  # the whole span was skipped by a DST jump
                if periods and periods[-1][1] >= opens:
                    periods[-1] = (periods[-1][0], max(periods[-1][1], closes))
                else:
                    periods.append((opens, closes))
        return periods

    def _local_day(self, t: datetime) -> date:
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError("the schedule needs an aware datetime")
        return t.astimezone(self.zone).date()

    def is_open(self, t: datetime) -> bool:
        """Whether admissions is open at `t` (aware, any zone)."""
        day, t = self._local_day(t), t.astimezone(UTC)
        return any(
            opens <= t < closes for opens, closes in self._periods(day - timedelta(days=1), 3)
        )

    def next_opening(self, t: datetime) -> datetime:
        """The next moment strictly after `t` at which admissions opens (in the
        clinic's zone). Open at `t`, it is the opening after the current period."""
        day = self._local_day(t) - timedelta(days=1)
        # Every week has a span, so a period starts within the closed dates plus two weeks.
        for opens, _ in self._periods(day, len(self.closed) + 16):
            if opens > t:
                return opens.astimezone(self.zone)
        raise AssertionError("a schedule with a span always opens again")

    def open_from(self, t: datetime) -> datetime:
        """`t` if admissions is open at `t`, otherwise the next opening."""
        return t if self.is_open(t) else self.next_opening(t)

    def open_within(self, t: datetime, window: Span | None) -> datetime:
        """The first moment at or after `t` when admissions is open and the
        clinic's clock is within `window` (minutes after midnight, as a Span;
        None: any time). A window that never meets the opening hours in the
        next weeks is ignored: the answer is then open_from(t)."""
        if window is None:
            return self.open_from(t)
        day = self._local_day(t) - timedelta(days=1)
        t = t.astimezone(UTC)
        for opens, closes in self._periods(day, len(self.closed) + 16):
            if closes <= t:
                continue
            first, last = self._local_day(opens), self._local_day(closes)
            for offset in range((last - first).days + 1):
                local = first + timedelta(days=offset)
                start = max(t, opens, self._instant(local, window[0]))
                if start < min(closes, self._instant(local, window[1])):
                    return start.astimezone(self.zone)
        return self.open_from(t).astimezone(self.zone)

    def when(self, t: datetime, now: datetime) -> str:
        """`t` for people, relative to `now`: '8 am today', '9 am tomorrow',
        '8 am on Monday, December 7' (wall-clock time in the clinic's zone)."""
        local, today = t.astimezone(self.zone), now.astimezone(self.zone).date()
        clock = _wall_time(local.hour * 60 + local.minute)
        if local.date() == today:
            return gettext("%(clock)s today") % {"clock": clock}
        if local.date() == today + timedelta(days=1):
            return gettext("%(clock)s tomorrow") % {"clock": clock}
        return gettext("%(clock)s on %(weekday)s, %(month)s %(day)s") % {
            "clock": clock,
            "weekday": WEEKDAYS[local.weekday()],
            "month": MONTHS[local.month],
            "day": local.day,
        }

    @property
    def zone_name(self) -> str:
        """The zone as people name it ('Eastern Time'), or its key."""
        return str(ZONE_NAMES.get(self.zone.key, self.zone.key))

    def describe(self) -> str:
        """The hours for people, e.g. 'Monday to Friday, 8 am to 8 pm; Saturday
        and Sunday, 9 am to 5 pm, Eastern Time'."""
        groups: dict[tuple[Span, ...], list[int]] = {}
        for day, spans in enumerate(self.week):
            if spans:
                groups.setdefault(spans, []).append(day)
        parts = [
            f"{_day_names(days)}, "
            + _and(
                [
                    gettext("%(start)s to %(end)s")
                    % {"start": _wall_time(start), "end": _wall_time(end)}
                    for start, end in spans
                ]
            )
            for spans, days in groups.items()
        ]
        return f"{'; '.join(parts)}, {self.zone_name}"


@functools.lru_cache(maxsize=8)
def schedule_parse(*, hours: str, closed_dates: str, time_zone: str) -> Schedule:
    """The schedule of these raw settings; ImproperlyConfigured naming the
    variable when one is not valid."""
    return Schedule(
        week=_parse_week(hours), closed=_parse_closed(closed_dates), zone=_zone(time_zone)
    )


def schedule_current() -> Schedule:
    """The schedule of the current settings (parsed once per value)."""
    return schedule_parse(
        hours=settings.ADMISSIONS_HOURS,
        closed_dates=settings.ADMISSIONS_CLOSED_DATES,
        time_zone=settings.TIME_ZONE,
    )
