"""The date and hour labels under the overview's bar charts never overlap and
stay inside the chart, whatever the length of the period."""

from datetime import date, timedelta

import pytest

from admissions import overview

# What a label of the chart's 11px sans-serif text can take: 0.6 em a character
# is wider than the digits, capitals and lower case of the dates ("Nov 30").
CHARACTER = 0.6 * 11


def _overlaps(labels) -> list[tuple[str, str]]:
    """The neighbouring labels closer than half their two widths (centred text)."""
    found = []
    for left, right in zip(labels, labels[1:], strict=False):
        if right.x - left.x < (len(left.text) + len(right.text)) * CHARACTER / 2:
            found.append((left.text, right.text))
    return found


def _outside(labels) -> list[str]:
    return [
        label.text
        for label in labels
        if label.x - len(label.text) * CHARACTER / 2 < 0
        or label.x + len(label.text) * CHARACTER / 2 > overview.CHART_WIDTH
    ]


def _day_chart(first: date, days: int) -> dict:
    points = [(first + timedelta(days=offset), 1.0) for offset in range(days)]
    return overview.day_bar_chart(points, describe=str)


@pytest.mark.parametrize("first", [date(2026, 11, 1), date(2026, 12, 20)])
def test_no_two_date_labels_overlap_for_any_period(first):
    for days in range(1, overview.MAX_DAYS + 1):
        labels = _day_chart(first, days)["labels"]
        assert not _overlaps(labels), (days, _overlaps(labels))
        assert not _outside(labels), (days, _outside(labels))


def test_the_first_and_last_day_are_labelled_and_the_weeks_between():
    # The default 30 days, to Friday Nov 20: the last day would have fallen
    # beside Nov 19, a week after Nov 12; it takes that label's place.
    labels = [label.text for label in _day_chart(date(2026, 10, 22), 30)["labels"]]
    assert labels == ["Oct 22", "Oct 29", "Nov 5", "Nov 12", "Nov 20"]
    short = [label.text for label in _day_chart(date(2026, 11, 14), 7)["labels"]]
    assert short == ["Nov 14", "Nov 20"]
