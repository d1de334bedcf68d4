"""The guides by condition: the guide list's sections and their comparison tables.

A condition's comparison table has one row per published medication of the
condition (Guide.objects.table_rows) and the columns its `columns` name. One
template, education/includes/comparison_table.html, draws it in both places it
appears: the condition's section of the guide list, from each row's row_html
(no citation marks), and the condition's comparison page, where guide_render
renders the cells with the page's own citation numbers and stores the table in
the page's body. Both read the same fields of the same guides.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from django.template.loader import render_to_string

from education.models import Condition, ConditionText, Guide

TABLE_TEMPLATE = "education/includes/comparison_table.html"


@dataclass
class Cell:
    field: str
    label: str
    html: str


@dataclass
class Row:
    guide: Guide  # or what a translated page shows of it (editions.GuideEdition)
    cells: list[Cell]
    lang: str = ""  # the row's language when it is not the page's (a row not translated)


@dataclass
class Table:
    condition: Condition | ConditionText
    rows: list[Row]
    labels_lang: str = ""  # the headers' language when it is not the page's

    @property
    def labels(self) -> list[str]:
        return [label for _, label in self.condition.columns]


def comparison_table(
    condition: Condition | ConditionText,
    rows: Sequence,
    cells_html: Sequence[Sequence[str]] | None = None,
    *,
    row_langs: Sequence[str] | None = None,
    labels_lang: str = "",
) -> Table:
    """The condition's table of these rows (Guide.objects.table_rows, in order).

    cells_html: each row's cells' HTML in column order (a comparison page's, with
    its citation numbers); by default each row's row_html (without marks).
    condition: on a translated page, its texts in the page's language
    (Condition.text_in), and rows what the page shows of each guide; row_langs and
    labels_lang: the language of a row, or of the headers, not in the page's.
    """
    if cells_html is None:
        cells_html = [
            [
                guide.row_html.get("fda_detail" if name == "fda_status" else name, "")
                for name in condition.column_fields
            ]
            for guide in rows
        ]
    return Table(
        condition=condition,
        rows=[
            Row(
                guide=guide,
                cells=[
                    Cell(field=name, label=label, html=html)
                    for (name, label), html in zip(condition.columns, cells, strict=True)
                ],
                lang=lang,
            )
            for guide, cells, lang in zip(
                rows, cells_html, row_langs or [""] * len(rows), strict=True
            )
        ],
        labels_lang=labels_lang,
    )


def table_html(table: Table, **context) -> str:
    """The table's HTML, as the guide list's sections draw it."""
    return render_to_string(TABLE_TEMPLATE, {"table": table, **context})


@dataclass
class Section:
    """One condition's part of the guide list (and of the home page's links)."""

    condition: Condition
    guides: list[Guide] = field(default_factory=list)
    comparison_page: Guide | None = None

    @cached_property
    def table(self) -> Table:
        return comparison_table(self.condition, [g for g in self.guides if g.is_medication])


def condition_sections(guides: Iterable[Guide]) -> list[Section]:
    """The conditions that have published guides, in order, each with its guides.

    guides: Guide.objects.for_list() (ordered by condition, then position).
    """
    sections: dict[int, Section] = {}
    for guide in guides:
        section = sections.setdefault(guide.condition_id, Section(condition=guide.condition))
        section.guides.append(guide)
        if guide.is_comparison and section.comparison_page is None:
            section.comparison_page = guide
    return list(sections.values())


def names_phrase(conditions: Iterable[Condition]) -> str:
    """'alcohol use disorder and opioid use disorder'."""
    names = [condition.name for condition in conditions]
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def sections_context() -> dict:
    """What the guide list and the home page show of the guides: the sections of
    the published guides (one query) and the conditions they are for, in words."""
    sections = condition_sections(Guide.objects.for_list())
    return {
        "sections": sections,
        "conditions_phrase": names_phrase(section.condition for section in sections),
    }
