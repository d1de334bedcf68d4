"""Figures and chart geometry for the admin's "Admissions overview" page.

The charts are drawn on the server as SVG: no script, no inline style. This
module computes the numbers (aggregated in the database) and the shapes; the
template only places them.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from admissions.models import Intake

DAYS = 30
CHART_WIDTH = 640
CHART_HEIGHT = 220
MARGIN_LEFT = 44
MARGIN_RIGHT = 8
MARGIN_TOP = 12
MARGIN_BOTTOM = 28


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
class DayLabel:
    x: float
    text: str


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten that is at least value."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def day_bar_chart(points: list[tuple[date, float | None]], describe) -> dict:
    """Bars for one value per day (None: no data that day), with a y axis."""
    plot_width = CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top = nice_ceiling(max((value or 0 for _, value in points), default=0))
    slot = plot_width / max(len(points), 1)
    bottom = MARGIN_TOP + plot_height
    bars = []
    labels = []
    for index, (day, value) in enumerate(points):
        height = plot_height * (value or 0) / top
        x = MARGIN_LEFT + index * slot
        bars.append(
            Bar(
                label=day.strftime("%b %-d"),
                value=value,
                text=describe(value),
                x=round(x + slot * 0.15, 1),
                y=round(bottom - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
            )
        )
        if index % 7 == 0 or index == len(points) - 1:
            labels.append(DayLabel(x=round(x + slot / 2, 1), text=day.strftime("%b %-d")))
    ticks = [
        Tick(y=round(bottom - plot_height * fraction, 1), text=_number(top * fraction))
        for fraction in (0, 0.5, 1)
    ]
    return {
        "bars": bars,
        "ticks": ticks,
        "labels": labels,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": MARGIN_LEFT,
        "right": CHART_WIDTH - MARGIN_RIGHT,
        "bottom": bottom,
        "label_y": CHART_HEIGHT - 8,
    }


def _number(value: float) -> str:
    return f"{value:g}"


def _minutes(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 60, 1)


def build(now: datetime | None = None) -> dict:
    """Everything the overview page shows, in a handful of aggregate queries."""
    now = timezone.localtime(now)
    first_day = now.date() - timedelta(days=DAYS - 1)
    since = timezone.make_aware(datetime.combine(first_day, time.min))
    days = [first_day + timedelta(days=offset) for offset in range(DAYS)]

    counts = Intake.objects.count_by_day(since)
    medians = Intake.objects.median_first_contact_by_day(since)
    per_day = day_bar_chart(
        [(day, counts.get(day, 0)) for day in days],
        describe=lambda value: f"{value:g} intakes",
    )
    wait = day_bar_chart(
        [(day, _minutes(medians.get(day))) for day in days],
        describe=lambda value: "no contact yet" if value is None else f"{value:g} minutes",
    )

    overall = Intake.objects.filter(created_at__gte=since).median_first_contact()
    return {
        "days": DAYS,
        "per_day": per_day,
        "wait": wait,
        "funnel": funnel_chart(Intake.objects.count_by_status()),
        "overdue_count": Intake.objects.overdue(now).count(),
        "total_count": sum(counts.values()),
        "median_minutes": _minutes(overall),
    }


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
