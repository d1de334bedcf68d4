"""Figures and chart geometry for the admin's "Admissions overview" page.

The charts are drawn on the server as SVG: no script, no inline style. This
module computes the numbers (aggregated in the database) and the shapes; the
template only places them.

Everything but the overdue count covers one period of
submission dates (PeriodForm: the last 7, 30 or 90 days, or two dates).
Time to first contact runs from the moment the target clock starts
(`sla_start`) to the first contact; percentiles are PostgreSQL's
percentile_cont, computed in the database. SQLite (the embedded default) has
no percentile function: there the waits are read and the same interpolation
is done in Python.
"""

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django import forms
from django.apps import apps
from django.conf import settings
from django.db import connection, models
from django.db.models import Count, F, Q, Value
from django.db.models.functions import ExtractHour, Greatest, TruncDate
from django.utils import timezone

from admissions.forms import OTHER_SOURCE, SITE_SOURCES
from admissions.models import Intake, IntakeActivity, Language

DEFAULT_DAYS = 30
PRESET_DAYS = (7, 30, 90)
MAX_DAYS = 366
ISO_DATE = "%Y-%m-%d"  # what a date picker sends
CHART_WIDTH = 640
CHART_HEIGHT = 220
MARGIN_LEFT = 44
MARGIN_RIGHT = 8
MARGIN_TOP = 12
MARGIN_BOTTOM = 28
# The axis labels' font size (.chart__tick in static/css/admin-admissions.css),
# in the chart's own units, and the width of one of their characters, a little
# wider than the average of a sans-serif face, so that an estimate is never short.
LABEL_FONT_SIZE = 11
LABEL_CHAR_WIDTH = 0.62 * LABEL_FONT_SIZE
LABEL_GAP = 8  # the least space between two axis labels

# The rows of the table of source pages: each guide, each page of SITE_SOURCES,
# and one row for an intake that named no page or one we do not know.
DIRECT = ""
SITE_SOURCE_LABELS = {"home": "Home page", "medications": "Medication guides (list page)"}
DIRECT_LABEL = "Direct or another page"
# An intake counts as assessed once it reached one of these, and as admitted
# once it reached the last: its status now, or a status change in its timeline
# (an intake assessed and then referred out still counts).
ASSESSED_STATUSES = (Intake.Status.ASSESSMENT_SCHEDULED, Intake.Status.ADMITTED)


# --- The period -------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Submission dates from first_day to last_day, both included, in TIME_ZONE."""

    first_day: date
    last_day: date
    preset: int | None = None  # 7, 30 or 90 when chosen as "the last N days"

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first_day, time.min))

    @property
    def until(self) -> datetime:
        """The first moment after the period (midnight after its last day)."""
        return timezone.make_aware(datetime.combine(self.last_day + timedelta(days=1), time.min))

    @property
    def phrase(self) -> str:
        """In words: "in the last 30 days", or "from Nov 1, 2026 to Nov 30, 2026"."""
        if self.preset:
            return f"in the last {self.preset} days"
        return f"from {_day_text(self.first_day)} to {_day_text(self.last_day)}"

    def dates(self) -> list[date]:
        return [self.first_day + timedelta(days=offset) for offset in range(self.days)]

    @classmethod
    def last(cls, days: int, today: date) -> "Period":
        return cls(first_day=today - timedelta(days=days - 1), last_day=today, preset=days)


def _day_text(day: date) -> str:
    return day.strftime("%b %-d, %Y")


class DatePicker(forms.DateInput):
    """<input type="date">, which holds an ISO date or nothing: a value sent that
    is not a date is left out (the form's error says why)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=ISO_DATE)

    def format_value(self, value):
        if isinstance(value, str):
            try:
                value = datetime.strptime(value, ISO_DATE).date()
            except ValueError:
                return None
        return super().format_value(value)


class PeriodForm(forms.Form):
    """The period of the overview, from the page's query string: ?days=7, 30 or
    90, or ?start=&end= (dates, end at the latest today; the end may be left
    out for today). Anything else is refused with a sentence saying why, and
    the page shows the default period meanwhile."""

    days = forms.TypedChoiceField(
        choices=[(days, f"Last {days} days") for days in PRESET_DAYS],
        coerce=int,
        required=False,
        error_messages={"invalid_choice": "Choose the last 7, 30 or 90 days."},
    )
    start = forms.DateField(
        label="From",
        required=False,
        widget=DatePicker,
        input_formats=[ISO_DATE],
        error_messages={"invalid": "Enter the first day as a date, for example 2026-11-01."},
    )
    end = forms.DateField(
        label="To",
        required=False,
        widget=DatePicker,
        input_formats=[ISO_DATE],
        error_messages={"invalid": "Enter the last day as a date, for example 2026-11-30."},
    )

    def __init__(self, data: Mapping | None, *, today: date):
        super().__init__(data if data else None)
        self.today = today
        self.fields["end"].widget.attrs["max"] = today.isoformat()
        self.fields["start"].widget.attrs["max"] = today.isoformat()

    def clean(self):
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if start is None and end is None:
            return data  # dates not given (or not dates: their own errors say so)
        if start is None:
            if "start" not in self.errors:
                self.add_error("start", "Enter the first day of the period too.")
            return data
        end = end or (self.today if "end" not in self.errors else None)
        if end is None:
            return data
        if end > self.today:
            self.add_error("end", f"The period cannot end after today ({_day_text(self.today)}).")
        elif start > end:
            self.add_error("start", "The first day must be on or before the last day.")
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("start", f"Choose a period of at most {MAX_DAYS} days.")
        data["end"] = end
        return data

    def period(self) -> Period:
        """The chosen period; the last DEFAULT_DAYS days when none was chosen or
        the choice was refused."""
        if self.is_bound and self.is_valid():
            if self.cleaned_data.get("start"):
                return Period(self.cleaned_data["start"], self.cleaned_data["end"])
            if self.cleaned_data.get("days"):
                return Period.last(self.cleaned_data["days"], self.today)
        return Period.last(DEFAULT_DAYS, self.today)

    def problems(self) -> list[str]:
        return [str(message) for messages in self.errors.values() for message in messages]


# --- Time to first contact ----------------------------------------------------------------


def sla_start():
    """When an intake's target clock starts: its call_after, the first open moment
    at or after submission (migration 0006 gave older intakes their submission)."""
    return F("call_after")


def with_wait(queryset):
    """The intakes annotated with `wait`, the time from sla_start to the first
    contact (None until then; never below zero: a call before the clock started
    counts as at once), and `clock` (sla_start)."""
    duration = models.DurationField()
    return queryset.annotate(
        clock=sla_start(),
        # A When, not Greatest alone: PostgreSQL's GREATEST skips a NULL and would
        # give 0 for an intake nobody has reached; SQLite's would give NULL.
        wait=models.Case(
            models.When(
                first_contacted_at__isnull=False,
                then=Greatest(
                    F("first_contacted_at") - F("clock"),
                    Value(timedelta(0), output_field=duration),
                    output_field=duration,
                ),
            ),
            output_field=duration,
        ),
    )


class Percentile(models.Aggregate):
    """A percentile of a duration, interpolated between the two nearest values
    (PostgreSQL's percentile_cont; NULLs are left out)."""

    function = "PERCENTILE_CONT"
    name = "Percentile"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = models.DurationField()

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("a percentile is a fraction from 0 to 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentile(values: list[timedelta], fraction: float) -> timedelta | None:
    """percentile_cont in Python: the value at rank fraction * (n - 1) of the
    sorted values, interpolated linearly between its neighbours."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    below = math.floor(rank)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (rank - below)


def percentiles_in_database() -> bool:
    return connection.vendor == "postgresql"


class Waits(NamedTuple):
    """The times to first contact of a group of intakes: median, 90th percentile
    and how many were reached."""

    median: timedelta | None = None
    p90: timedelta | None = None
    reached: int = 0


def figures_by(queryset, group: str | None, counts: Mapping | None = None) -> dict:
    """{group value: (counts, Waits)} for the queryset (made by with_wait): the
    Count aggregates given, and the times to first contact; {None: ...} with
    group None. In PostgreSQL one query; elsewhere the counts in one and the
    waits read and interpolated in Python."""
    counts = dict(counts or {})
    waits: dict[str, models.Aggregate] = {"reached_waits": Count("wait")}
    in_database = percentiles_in_database()
    if in_database:
        waits |= {"median": Percentile("wait", 0.5), "p90": Percentile("wait", 0.9)}
    if group is None:
        rows = [queryset.aggregate(**counts, **waits)]
    else:
        rows = list(queryset.values(group).annotate(**counts, **waits).order_by())
    if not in_database:
        found: dict = {}
        fields = ("wait",) if group is None else (group, "wait")
        for row in queryset.filter(first_contacted_at__isnull=False).values_list(*fields):
            found.setdefault(None if group is None else row[0], []).append(row[-1])
        for row in rows:
            values = found.get(row.get(group), [])
            row["median"], row["p90"] = percentile(values, 0.5), percentile(values, 0.9)
    return {
        row.get(group): (
            {name: row[name] or 0 for name in counts},
            Waits(row["median"], row["p90"], row["reached_waits"]),
        )
        for row in rows
    }


def wait_percentiles(queryset, parts: Mapping[str, Q | None]) -> dict:
    """{name: Waits} of overlapping parts of the queryset (made by with_wait),
    each given as a filter (None: all of it). In PostgreSQL one query whatever
    the number of parts; elsewhere one query a part, interpolated in Python."""
    if not percentiles_in_database():
        return {
            name: figures_by(queryset if part is None else queryset.filter(part), None)[None][1]
            for name, part in parts.items()
        }
    aggregates: dict[str, models.Aggregate] = {}
    for name, part in parts.items():
        aggregates |= {
            f"{name}_median": Percentile("wait", 0.5, filter=part),
            f"{name}_p90": Percentile("wait", 0.9, filter=part),
            f"{name}_reached": Count("wait", filter=part),
        }
    row = queryset.aggregate(**aggregates)
    return {
        name: Waits(row[f"{name}_median"], row[f"{name}_p90"], row[f"{name}_reached"])
        for name in parts
    }


# --- Conversion by source page ------------------------------------------------------------


@dataclass(frozen=True)
class SourceRow:
    """The figures of one source page (or of several together) over the period."""

    key: str
    label: str
    intakes: int
    reached: int
    assessments: int
    admitted: int
    due: int  # reached, or past the target time without a contact
    within_sla: int  # reached within the target time
    median: timedelta | None
    p90: timedelta | None

    @property
    def reached_share(self) -> str:
        return _share(self.reached, self.intakes)

    @property
    def assessments_share(self) -> str:
        return _share(self.assessments, self.intakes)

    @property
    def admitted_share(self) -> str:
        return _share(self.admitted, self.intakes)

    @property
    def within_sla_share(self) -> str:
        return _share(self.within_sla, self.due)

    @property
    def median_text(self) -> str:
        return duration_text(self.median)

    @property
    def p90_text(self) -> str:
        return duration_text(self.p90)


def _share(part: int, whole: int) -> str:
    """A whole percentage, halves rounded up; "-" of nothing."""
    return "-" if not whole else f"{math.floor(100 * part / whole + 0.5)}%"


def duration_text(delta: timedelta | None) -> str:
    """12.5 min under an hour, 2 h 5 min under two days, 3.5 days beyond; "-" for none."""
    if delta is None:
        return "-"
    minutes = delta.total_seconds() / 60
    if minutes < 60:
        return f"{minutes:.1f} min"
    if minutes < 48 * 60:
        hours, rest = divmod(round(minutes), 60)
        return f"{hours} h {rest} min"
    return f"{minutes / 1440:.1f} days"


def source_key():
    """The row of the table an intake belongs to: its source page, with no page
    and an unknown page ("other") together as DIRECT."""
    return models.Case(
        models.When(source_page__in=[DIRECT, OTHER_SOURCE], then=Value(DIRECT)),
        default=F("source_page"),
        output_field=models.CharField(),
    )


def guide_filter() -> Q:
    """The intakes that came from a guide: every source but the site's pages and DIRECT."""
    return ~Q(source_page__in=[DIRECT, OTHER_SOURCE, *SITE_SOURCES])


COUNT_NAMES = ("intakes", "reached", "assessments", "admitted", "due", "within_sla")


def conversion_counts(now: datetime) -> dict:
    """The Count aggregates of a SourceRow (COUNT_NAMES), for querysets made by
    with_wait."""
    reached = Q(first_contacted_at__isnull=False)
    timeline = IntakeActivity.objects.filter(kind=IntakeActivity.Kind.STATUS_CHANGE)
    assessed = Q(status__in=ASSESSED_STATUSES) | Q(
        pk__in=timeline.filter(to_status__in=ASSESSED_STATUSES).values("intake_id")
    )
    admitted = Q(status=Intake.Status.ADMITTED) | Q(
        pk__in=timeline.filter(to_status=Intake.Status.ADMITTED).values("intake_id")
    )
    target = timedelta(minutes=settings.ADMISSIONS_SLA_MINUTES)
    return {
        "intakes": Count("pk"),
        "reached": Count("pk", filter=reached),
        "assessments": Count("pk", filter=assessed),
        "admitted": Count("pk", filter=admitted),
        "due": Count("pk", filter=reached | Q(clock__lt=now - target)),
        # wait <= target, compared as two moments: the wait is never below zero
        # and the target never is, so a contact by clock + target is within it.
        "within_sla": Count("pk", filter=Q(first_contacted_at__lte=F("clock") + target)),
    }


def count_groups(intakes, now: datetime) -> list[dict]:
    """The conversion counts of the with_wait queryset by source page, language
    and status: a few dozen rows whose sums give the table's rows, the
    languages' rows and the funnel. One query, grouped by hashing (no
    percentile in it, so nothing to sort), and the only one of the page that
    reads the timeline."""
    fields = ("source_page", "language", "status")
    return list(intakes.values(*fields).annotate(**conversion_counts(now)).order_by())


def row_source(page: str) -> str:
    """source_key() in Python: the row of the table a source page belongs to."""
    return DIRECT if page in (DIRECT, OTHER_SOURCE) else page


def sums_by(groups: Iterable[Mapping], key: Callable[[Mapping], str]) -> dict[str, dict]:
    """{key of a group: the sums of its COUNT_NAMES}."""
    sums: dict[str, dict] = {}
    for group in groups:
        found = sums.setdefault(key(group), dict.fromkeys(COUNT_NAMES, 0))
        for name in COUNT_NAMES:
            found[name] += group[name]
    return sums


def _row(key: str, label: str, counts: Mapping, waits: Waits) -> SourceRow:
    return SourceRow(
        key=key,
        label=label,
        intakes=counts["intakes"],
        reached=counts["reached"],
        assessments=counts["assessments"],
        admitted=counts["admitted"],
        due=counts["due"],
        within_sla=counts["within_sla"],
        median=waits.median,
        p90=waits.p90,
    )


def source_rows(intakes, now: datetime, groups: list[dict]) -> dict:
    """{"rows": a SourceRow per source page, most intakes first; "guides": all
    guides together; "total"; "languages": a SourceRow per language of the call
    (Language, English first, each even with no intake)}, for the with_wait
    queryset of the period and its count_groups. The counts are sums of the
    groups; the times to first contact take two queries, the rows' and the
    others' (in PostgreSQL; a query a part elsewhere), which read the intakes
    reached only (a row none was reached from has no time either way)."""
    by_source = sums_by(groups, lambda group: row_source(group["source_page"]))
    by_language = sums_by(groups, lambda group: group["language"])
    reached = intakes.filter(first_contacted_at__isnull=False)
    waits_by_source = figures_by(reached.annotate(source=source_key()), "source")
    labels = source_labels(by_source)
    rows = [
        _row(key, labels[key], counts, waits_by_source.get(key, ({}, Waits()))[1])
        for key, counts in by_source.items()
    ]
    rows.sort(key=lambda row: (-row.intakes, row.label.lower()))
    guide_rows = [row for row in rows if row.key not in {DIRECT, *SITE_SOURCES}]
    languages = {code: Q(language=code) for code in Language.values}
    waits = wait_percentiles(reached, {"guides": guide_filter(), "total": None, **languages})
    no_counts = dict.fromkeys(COUNT_NAMES, 0)
    return {
        "rows": rows,
        "guides": _row("guides", "All guides", _sums(guide_rows), waits["guides"]),
        "total": _row("total", "All pages", _sums(rows), waits["total"]),
        "languages": [
            _row(code, label, by_language.get(code, no_counts), waits[code])
            for code, label in Language.choices
        ],
    }


def _sums(rows: list[SourceRow]) -> dict[str, int]:
    return {name: sum(getattr(row, name) for row in rows) for name in COUNT_NAMES}


def source_labels(keys: Iterable[str]) -> dict[str, str]:
    """What each row is called: the guide's title (found through the app
    registry: admissions does not import the education app), a page of the site,
    or DIRECT_LABEL. A guide no longer in the database is named by its slug."""
    keys = set(keys)
    labels = {DIRECT: DIRECT_LABEL}
    labels.update({key: SITE_SOURCE_LABELS.get(key, key) for key in keys & SITE_SOURCES})
    slugs = keys - set(labels)
    titles = {}
    if slugs:
        try:
            guide_model = apps.get_model("education", "Guide")
        except LookupError:
            guide_model = None
        if guide_model is not None:
            titles = dict(
                guide_model._default_manager.filter(slug__in=slugs).values_list("slug", "title")
            )
    labels.update({slug: f"Guide: {titles.get(slug, slug)}" for slug in slugs})
    return labels


# --- Charts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class AxisLabel:
    x: float  # the middle of the text
    text: str

    @property
    def width(self) -> float:
        return label_width(self.text)


def label_width(text: str) -> float:
    """An upper estimate of the width of an axis label, in the chart's units."""
    return len(text) * LABEL_CHAR_WIDTH


def labels_apart(left: AxisLabel, right: AxisLabel) -> bool:
    """Whether two labels, centred on their x, leave LABEL_GAP between them."""
    return right.x - left.x >= (left.width + right.width) / 2 + LABEL_GAP


def _axis_label(x: float, text: str) -> AxisLabel:
    """A label centred under x, moved in as far as needed to stay inside the chart."""
    half = label_width(text) / 2
    return AxisLabel(x=round(min(max(x, half), CHART_WIDTH - half), 1), text=text)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten that is at least value."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def bar_chart(
    points: list[tuple[str, float | None, str]],
    *,
    label_every: int,
    axis_labels: list[str] | None = None,
    reference: tuple[float, str] | None = None,
) -> dict:
    """Bars for one (label, value, text) per slot (value None: no data there),
    with a y axis, an axis label under every label_every-th slot (the slot's
    label, or axis_labels[index]; and under the last slot without axis_labels,
    in place of the label before it when the two would overlap), and an
    optional reference line (value, text) such as the target time."""
    plot_width = CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    largest = max((value or 0 for _, value, _ in points), default=0)
    top = nice_ceiling(max(largest, reference[0] if reference else 0))
    slot = plot_width / max(len(points), 1)
    bottom = MARGIN_TOP + plot_height
    bars = []
    labels: list[AxisLabel] = []
    for index, (label, value, text) in enumerate(points):
        height = plot_height * (value or 0) / top
        x = MARGIN_LEFT + index * slot
        bars.append(
            Bar(
                label=label,
                value=value,
                text=text,
                x=round(x + slot * 0.15, 1),
                y=round(bottom - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
            )
        )
        last = axis_labels is None and index == len(points) - 1
        if index % label_every == 0 or last:
            axis_label = _axis_label(x + slot / 2, axis_labels[index] if axis_labels else label)
            # No label overlaps another: the last day's takes the place of those
            # too close before it; any other is left out.
            while last and labels and not labels_apart(labels[-1], axis_label):
                labels.pop()
            if not labels or labels_apart(labels[-1], axis_label):
                labels.append(axis_label)
    ticks = [
        Tick(y=round(bottom - plot_height * fraction, 1), text=_number(top * fraction))
        for fraction in (0, 0.5, 1)
    ]
    line = None
    if reference:
        y = round(bottom - plot_height * reference[0] / top, 1)
        # The text sits above the line, or under it when the line is at the top.
        label_y = y - 4 if y - 4 >= MARGIN_TOP + 8 else y + 12
        line = {"y": y, "label_y": round(label_y, 1), "text": reference[1]}
    return {
        "bars": bars,
        "ticks": ticks,
        "labels": labels,
        "reference": line,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": MARGIN_LEFT,
        "right": CHART_WIDTH - MARGIN_RIGHT,
        "bottom": bottom,
        "label_y": CHART_HEIGHT - 8,
    }


def day_bar_chart(
    points: list[tuple[date, float | None]], describe: Callable[[float | None], str], **options
) -> dict:
    """One bar per day, a date under every week (every two weeks or more when
    the dates would not fit) and under the last day."""
    slots = [(day.strftime("%b %-d"), value, describe(value)) for day, value in points]
    widest = max((label_width(label) for label, _, _ in slots), default=0)
    slot = (CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / max(len(slots), 1)
    weeks = max(1, math.ceil((widest + LABEL_GAP) / slot / 7))
    return bar_chart(slots, label_every=7 * weeks, **options)


def hour_text(hour: int) -> str:
    """0 -> "12 am", 13 -> "1 pm"."""
    return f"{(hour % 12) or 12} {'am' if hour < 12 else 'pm'}"


def _number(value: float) -> str:
    return f"{value:g}"


def _minutes(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 60, 1)


def _describe_wait(value: float | None) -> str:
    return "no contact yet" if value is None else f"{value:g} minutes"


def _target_line() -> tuple[float, str]:
    minutes = settings.ADMISSIONS_SLA_MINUTES
    return (minutes, f"target {minutes} min")


def hour_chart(intakes) -> dict:
    """Median time to first contact by the hour of submission (0 to 23, in
    TIME_ZONE); each bar's text adds the 90th percentile and the number reached.
    Only the intakes reached are read: an hour without one has no bar either way."""
    zone = timezone.get_default_timezone()
    reached = intakes.filter(first_contacted_at__isnull=False)
    waits = figures_by(reached.annotate(hour=ExtractHour("created_at", tzinfo=zone)), "hour")
    points = []
    for hour in range(24):
        found = waits.get(hour, ({}, Waits()))[1]
        value = _minutes(found.median)
        text = _describe_wait(value)
        if found.reached:
            median, p90 = duration_text(found.median), duration_text(found.p90)
            text = f"median {median}, 90th percentile {p90}, {found.reached} reached"
        points.append((f"{hour_text(hour)} to {hour_text((hour + 1) % 24)}", value, text))
    return bar_chart(
        points,
        label_every=3,
        axis_labels=[hour_text(hour) for hour in range(24)],
        reference=_target_line(),
    )


FUNNEL_ROW = 30
FUNNEL_LABEL_WIDTH = 190
FUNNEL_BAR_MAX = 380


def funnel_chart(counts: list[tuple]) -> dict:
    """Horizontal bars, one per status, scaled to the largest count."""
    largest = max((count for _, count in counts), default=0) or 1
    rows = []
    for index, (status, count) in enumerate(counts):
        width = round(FUNNEL_BAR_MAX * count / largest, 1)
        y = index * FUNNEL_ROW
        rows.append(
            {
                "label": status.label,
                "count": count,
                "y": y + 4,
                "text_y": y + FUNNEL_ROW / 2 + 5,
                "width": width,
                "count_x": FUNNEL_LABEL_WIDTH + width + 6,
            }
        )
    return {
        "rows": rows,
        "bar_x": FUNNEL_LABEL_WIDTH,
        "bar_height": FUNNEL_ROW - 8,
        "width": FUNNEL_LABEL_WIDTH + FUNNEL_BAR_MAX + 60,
        "height": FUNNEL_ROW * len(rows),
    }


# --- The page ------------------------------------------------------------------------------


def build(query: Mapping | None = None, now: datetime | None = None) -> dict:
    """Everything the overview page shows, for the period the query string asks
    for (PeriodForm), in a handful of aggregate queries."""
    now = timezone.localtime(now)
    form = PeriodForm(query, today=now.date())
    period = form.period()
    # Anonymised intakes have lost their source page and their times.
    in_period = Intake.objects.filter(
        created_at__gte=period.since, created_at__lt=period.until, anonymised_at__isnull=True
    )
    intakes = with_wait(in_period)

    zone = timezone.get_default_timezone()
    by_day = figures_by(
        intakes.annotate(day=TruncDate("created_at", tzinfo=zone)), "day", {"count": Count("pk")}
    )
    days = period.dates()
    per_day = day_bar_chart(
        [(day, by_day[day][0]["count"] if day in by_day else 0) for day in days],
        describe=lambda value: f"{value:g} intakes",
    )
    wait = day_bar_chart(
        [(day, _minutes(by_day[day][1].median) if day in by_day else None) for day in days],
        describe=_describe_wait,
        reference=_target_line(),
    )
    groups = count_groups(intakes, now)
    sources = source_rows(intakes, now, groups)
    by_status = sums_by(groups, lambda group: group["status"])
    return {
        "period": period,
        "period_form": form,
        "period_presets": [
            {"days": days, "current": period.preset == days} for days in PRESET_DAYS
        ],
        "max_days": MAX_DAYS,
        "sla_minutes": settings.ADMISSIONS_SLA_MINUTES,
        "per_day": per_day,
        "wait": wait,
        "by_hour": hour_chart(intakes),
        "sources": sources,
        "languages": sources["languages"],
        "funnel": funnel_chart(
            [(status, by_status.get(status, {}).get("intakes", 0)) for status in Intake.Status]
        ),
        "overdue_count": Intake.objects.overdue(now).count(),
        "total_count": sources["total"].intakes,
        "median_text": sources["total"].median_text,
    }
