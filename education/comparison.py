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
from django.utils.safestring import mark_safe

from education.models import Condition, ConditionText, Guide, GuideTranslation

TABLE_TEMPLATE = "education/includes/comparison_table.html"
# The attribute marking a guide's text shown in English on a translated page.
ENGLISH = mark_safe(' lang="en"')


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
    """One condition's part of the guide list (and of the home page's links), in a
    language: on a translated page each guide is shown by its published translation
    (editions), and in English, marked so, without one."""

    condition: Condition
    guides: list[Guide] = field(default_factory=list)
    comparison_page: Guide | None = None
    language: str = "en"
    editions: dict = field(default_factory=dict)  # guide id: its GuideEdition

    @cached_property
    def text(self) -> ConditionText:
        """The condition's texts in the section's language (or in English)."""
        return self.condition.text_in(self.language)

    @property
    def lang_attr(self) -> str:
        """' lang="en"' when the condition's texts are not in the page's language."""
        return ENGLISH if self.language != "en" and self.text.lang == "en" else ""

    def _shown(self, guide: Guide):
        """What the page shows of a guide, and ' lang="en"' when it is not in the
        page's language (a guide not translated), else ''."""
        edition = self.editions.get(guide.pk)
        if edition is not None:
            return edition, ""
        return guide, (ENGLISH if self.language != "en" else "")

    @cached_property
    def cards(self) -> list[tuple]:
        """(what the page shows of the guide, its lang attribute) for each guide card."""
        return [self._shown(guide) for guide in self.guides]

    @cached_property
    def comparison_link(self) -> tuple | None:
        return self._shown(self.comparison_page) if self.comparison_page else None

    @cached_property
    def table(self) -> Table:
        shown = [self._shown(guide) for guide in self.guides if guide.is_medication]
        text = self.text
        return comparison_table(
            text if self.language != "en" else self.condition,
            [guide for guide, _ in shown],
            row_langs=["en" if lang else "" for _, lang in shown],
            labels_lang="en" if self.language != "en" and text.lang == "en" else "",
        )


def condition_sections(guides: Iterable[Guide], language: str = "en") -> list[Section]:
    """The conditions that have published guides, in order, each with its guides.

    guides: Guide.objects.for_list() (ordered by condition, then position).
    language: the page's; its published translations are read in one query.
    """
    sections: dict[int, Section] = {}
    guides = list(guides)
    editions_by_guide: dict = {}
    if language != "en":
        from education.editions import GuideEdition

        by_pk = {guide.pk: guide for guide in guides}
        for text in GuideTranslation.objects.filter(
            guide__in=guides, language=language, status=GuideTranslation.Status.PUBLISHED
        ).only("guide_id", "language", "title", "medication", "description", "row_html"):
            editions_by_guide[text.guide_id] = GuideEdition(by_pk[text.guide_id], text)
    for guide in guides:
        section = sections.setdefault(
            guide.condition_id,
            Section(condition=guide.condition, language=language, editions=editions_by_guide),
        )
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


def sections_context(language: str = "en") -> dict:
    """What the guide list and the home page show of the guides: the sections of
    the published guides (one query; a translated page, one more) and the
    conditions they are for, in words."""
    sections = condition_sections(Guide.objects.for_list(), language)
    return {
        "sections": sections,
        "conditions_phrase": names_phrase(section.condition for section in sections),
    }
