"""Read the shipped guide files: TOML front matter between '+++' lines, then markdown.

Reading never writes: it parses and checks every file first, so a mistake in one
file stops the load before anything in the database changes. A file never claims a
medical review: the reviewer keys the files once had are refused (a review is a
sign-off a reviewer records in the admin), and `status = "published"` publishes a
guide that no clinician has reviewed yet, which its page says.

A file carries its guide's public change log as [[change]] tables (a date and a
one-line summary) at the end of its front matter; the newest date is the page's
"Updated on", so a fresh install shows when the content changed, not when it was
loaded.
"""

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.utils import timezone

from education import markup
from education.models import (
    CHANGE_SUMMARY_MAX_LENGTH,
    COMPARISON_TABLE_SECTION,
    DEFAULT_CONDITION,
    DEFAULT_CONDITION_SLUG,
    DESCRIPTION_MAX_LENGTH,
    ROW_TEXT_FIELDS,
    TRANSLATED_TABLE_SECTIONS,
    TRANSLATION_LANGUAGES,
    Condition,
    Guide,
    column_problems,
    comparison_page_problem,
    row_problems,
)

DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent / "content"
CONDITIONS_FILE = "conditions.toml"
FENCE = "+++"
KEY_RE = re.compile(rf"^{markup.CITATION_KEY}$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

SOURCE_FIELDS = ("authors", "title", "venue", "year", "url", "doi")
# A source's `language`: the language of what it links (English by default).
SOURCE_LANGUAGES = ("en", *(code for code, _ in TRANSLATION_LANGUAGES))
# Front matter that would claim a medical review: refused.
REVIEW_KEYS = ("reviewer_name", "reviewer_credentials", "last_reviewed")
REQUIRED_GUIDE_FIELDS = ("slug", "title", "medication", "description", "summary")
# A medication's comparison-table cells are required by its condition's columns
# (models.row_problems); fda_status is read as the others are, from ROW_FIELDS.
ROW_KEYS = ("fda_status", *ROW_TEXT_FIELDS)
CONDITION_TEXT_FIELDS = ("name", "short_name", "description", "overdose_heading", "emergency_note")

# The '##' sections every shipped guide has, worded the same in each, in the order
# a reader meets them (tests/education/test_shipped_content.py checks the guides).
REQUIRED_SECTIONS = (
    "Brand names",
    "How it is taken",
    "Common side effects",
    "When to call your doctor or get emergency care",
    "Serious warnings",
    "Interactions that matter",
    "Pregnancy and breastfeeding",
    "Kidney and liver",
    "If you miss a dose",
    "Storage and disposal",
    "Overdose",
    "Questions to ask your prescriber",
)
# A comparison page (kind = "comparison") has these instead, each citing a source;
# its condition's comparison table is placed under the first.
COMPARISON_SECTIONS = (
    COMPARISON_TABLE_SECTION,
    "What the experts say",
    "What the research shows",
    "Getting these medications",
    "Choosing and switching",
)
SECTION_HEADING = re.compile(r"^## +(?P<heading>.+?) *$", re.MULTILINE)

# The translations' folders under guides/ (guides/es/<slug>.md), and the '##'
# sections each language's guides have instead of the English ones, worded exactly
# so and in this order (a comparison page's table sits under its first section).
TRANSLATED_REQUIRED_SECTIONS = {
    "es": (
        "Nombres comerciales",
        "Cómo se toma",
        "Efectos secundarios comunes",
        "Cuándo llamar a su médico o buscar atención de emergencia",
        "Advertencias graves",
        "Interacciones importantes",
        "Embarazo y lactancia",
        "Riñones e hígado",
        "Si olvida una dosis",
        "Cómo guardarlo y desecharlo",
        "Sobredosis",
        "Preguntas para quien le receta",
    ),
}
TRANSLATED_COMPARISON_SECTIONS = {
    "es": (
        TRANSLATED_TABLE_SECTIONS["es"],
        "Lo que dicen los expertos",
        "Lo que muestran los estudios",
        "Cómo conseguir estos medicamentos",
        "Cómo elegir y cambiar",
    ),
}
# The required section listing the questions for the prescriber, per language, and
# how many list items it has.
PRESCRIBER_SECTIONS = {
    "en": "Questions to ask your prescriber",
    "es": "Preguntas para quien le receta",
}
PRESCRIBER_QUESTIONS = (3, 5)
# What a translation file holds: the translated fields, its FAQ and change log, and
# the English version it was made from. The rest comes from the English guide.
TRANSLATION_KEYS = {
    "translation_of",
    "title",
    "medication",
    "description",
    "summary",
    "overdose_signs",
    "status",
    "faq",
    "change",
    "source_fingerprint",
    *ROW_TEXT_FIELDS,
}
FROM_THE_ENGLISH_GUIDE = ("slug", "condition", "kind", "fda_status", "related", "order")
FINGERPRINT_RE = re.compile(r"^[0-9a-f]{64}$")
LIST_ITEM = re.compile(r"^(?:[-*+]|\d+[.)]) +\S", re.MULTILINE)


def required_sections(kind: str, language: str = "en") -> tuple[str, ...]:
    """The '##' sections a guide of this kind has in this language, in order."""
    if language != "en":
        if kind == Guide.Kind.COMPARISON:
            return TRANSLATED_COMPARISON_SECTIONS[language]
        return TRANSLATED_REQUIRED_SECTIONS[language]
    return COMPARISON_SECTIONS if kind == Guide.Kind.COMPARISON else REQUIRED_SECTIONS


def section_problems(body: str, kind: str, language: str) -> list[str]:
    """What is wrong with a body's required '##' sections: one missing, out of order,
    citing nothing, or (the prescriber questions) with too few or too many items."""
    wanted = required_sections(kind, language)
    headings = [match["heading"] for match in SECTION_HEADING.finditer(body)]
    sections = body_sections(body)
    problems = []
    missing = [heading for heading in wanted if heading not in headings]
    if missing:
        listed = "; ".join(f"'## {heading}'" for heading in missing)
        problems.append(f"missing the required section(s) {listed} (worded exactly so)")
    present = [heading for heading in headings if heading in wanted]
    in_order = [heading for heading in wanted if heading in present]
    if present != in_order:
        problems.append(
            "the required sections must come in this order: "
            + "; ".join(f"'{heading}'" for heading in wanted)
        )
    for heading in wanted:
        if heading in sections and not markup.cited_keys(sections[heading]):
            problems.append(f"section '## {heading}' cites no source")
    prescriber = PRESCRIBER_SECTIONS.get(language)
    if kind != Guide.Kind.COMPARISON and prescriber in sections:
        items = len(LIST_ITEM.findall(sections[prescriber]))
        low, high = PRESCRIBER_QUESTIONS
        if not low <= items <= high:
            problems.append(
                f"section '## {prescriber}' has {items} list items; it has {low} to {high}"
            )
    return problems


class ContentError(Exception):
    """A shipped file is malformed; the message names the file."""


@dataclass
class SourceEntry:
    key: str
    values: dict


@dataclass
class ConditionEntry:
    slug: str
    values: dict  # model field values but the slug

    def as_condition(self) -> Condition:
        """An unsaved row, to check guides against before anything is written."""
        return Condition(slug=self.slug, **self.values)


@dataclass
class GuideEntry:
    path: Path
    values: dict  # model field values; "condition" is the condition's slug
    faqs: list[tuple[str, str]] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    # The public change log, [[change]] tables: (date, one-line summary).
    changes: list[tuple[date, str]] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.values["slug"]

    def texts(self) -> list[str]:
        return [
            self.values["summary"],
            self.values["overdose_signs"],
            self.values["body"],
            *(a for _, a in self.faqs),
            *(self.values[name] for name in ROW_TEXT_FIELDS),
        ]


@dataclass
class TranslationEntry:
    """A guide's translation file (guides/<language>/<slug>.md)."""

    path: Path
    language: str
    translation_of: str  # the English guide's slug
    values: dict  # GuideTranslation field values (TRANSLATED_FIELDS, status, source_fingerprint)
    faqs: list[tuple[str, str]] = field(default_factory=list)
    changes: list[tuple[date, str]] = field(default_factory=list)

    def texts(self) -> list[str]:
        return [
            self.values["summary"],
            self.values["overdose_signs"],
            self.values["body"],
            *(a for _, a in self.faqs),
            *(self.values[name] for name in ROW_TEXT_FIELDS),
        ]


@dataclass
class Content:
    sources: list[SourceEntry]
    guides: list[GuideEntry]
    conditions: list[ConditionEntry] = field(default_factory=list)
    translations: list[TranslationEntry] = field(default_factory=list)


def body_sections(body: str) -> dict[str, str]:
    """A guide body's '##' sections: each heading's text up to the next '##' heading."""
    matches = list(SECTION_HEADING.finditer(body))
    ends = [match.start() for match in matches[1:]] + [len(body)]
    return {
        match["heading"]: body[match.end() : end].strip()
        for match, end in zip(matches, ends, strict=True)
    }


def split_front_matter(text: str, path: Path) -> tuple[dict, str]:
    lines = text.splitlines(keepends=True)
    fences = [i for i, line in enumerate(lines) if line.strip() == FENCE]
    if len(fences) < 2 or fences[0] != 0:
        raise ContentError(f"{path}: front matter must open the file between two '+++' lines")
    front = "".join(lines[1 : fences[1]])
    body = "".join(lines[fences[1] + 1 :])
    try:
        return tomllib.loads(front), body.strip() + "\n"
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"{path}: front matter is not valid TOML: {error}") from None


def _text(data: dict, name: str, path: Path, *, required: bool = True) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ContentError(f"{path}: '{name}' must be a non-empty string")
    return value.strip()


def read_sources(path: Path) -> list[SourceEntry]:
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"{path}: not valid TOML: {error}") from None
    entries, seen = [], set()
    for table in data.get("source", []):
        key = table.get("key", "")
        if not isinstance(key, str) or not KEY_RE.match(key):
            raise ContentError(f"{path}: source key {key!r} is missing or malformed")
        if key in seen:
            raise ContentError(f"{path}: source key '{key}' appears twice")
        seen.add(key)
        values = {name: str(table.get(name, "")).strip() for name in SOURCE_FIELDS}
        if not values["title"]:
            raise ContentError(f"{path}: source '{key}' has no title")
        language = table.get("language", "en")
        if language not in SOURCE_LANGUAGES:
            raise ContentError(
                f"{path}: source '{key}': 'language' must be one of "
                + ", ".join(f'"{code}"' for code in SOURCE_LANGUAGES)
            )
        values["language"] = language
        entries.append(SourceEntry(key=key, values=values))
    return entries


def read_conditions(path: Path) -> list[ConditionEntry]:
    """The [[condition]] tables of conditions.toml (none without the file)."""
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"{path}: not valid TOML: {error}") from None
    tables = data.get("condition", [])
    if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
        raise ContentError(f"{path}: conditions are [[condition]] tables")
    entries, seen = [], set()
    for number, table in enumerate(tables, start=1):
        slug = table.get("slug")
        if not isinstance(slug, str) or not SLUG_RE.match(slug):
            raise ContentError(
                f"{path}: condition {number} needs a 'slug' of lower-case words and hyphens"
            )
        if slug in seen:
            raise ContentError(f"{path}: condition '{slug}' appears twice")
        seen.add(slug)
        where = f"{path}: condition '{slug}'"
        values: dict[str, Any] = {}
        for name in CONDITION_TEXT_FIELDS:
            value = table.get(name, "")
            required = name in ("name", "description")
            if not isinstance(value, str) or (required and not value.strip()):
                what = "a non-empty string" if required else "a string"
                raise ContentError(f"{where}: '{name}' must be {what}")
            values[name] = value.strip()
        if markup.cited_keys(values["emergency_note"]):
            raise ContentError(f"{where}: 'emergency_note' cites no source")
        order = table.get("order", 100)
        if not isinstance(order, int) or isinstance(order, bool) or order < 0:
            raise ContentError(f"{where}: 'order' must be a whole number")
        columns = table.get("columns")
        if problems := column_problems(columns):
            raise ContentError(f"{where}: {'; '.join(problems)}")
        values["order"] = order
        values["columns"] = [[name, label.strip()] for name, label in columns]
        values["translations"] = read_condition_translations(table, where)
        entries.append(ConditionEntry(slug=slug, values=values))
    return entries


CONDITION_TRANSLATED_FIELDS = (
    "name",
    "short_name",
    "description",
    "overdose_heading",
    "emergency_note",
)


def read_condition_translations(table: dict, where: str) -> dict:
    """A condition's [condition.<language>] tables: its texts in that language, as
    Condition.translations stores them."""
    translations = {}
    for language, _ in TRANSLATION_LANGUAGES:
        texts = table.get(language)
        if texts is None:
            continue
        if not isinstance(texts, dict):
            raise ContentError(f"{where}: '{language}' must be a [condition.{language}] table")
        unknown = sorted(set(texts) - set(CONDITION_TRANSLATED_FIELDS))
        if unknown:
            raise ContentError(f"{where}: [condition.{language}] has no key {', '.join(unknown)}")
        values = {}
        for name in CONDITION_TRANSLATED_FIELDS:
            value = texts.get(name, "")
            if not isinstance(value, str) or (name == "name" and not value.strip()):
                raise ContentError(f"{where}: [condition.{language}] '{name}' must be a string")
            values[name] = value.strip()
        if markup.cited_keys(values["emergency_note"]):
            raise ContentError(f"{where}: [condition.{language}] 'emergency_note' cites no source")
        values["emergency_note_html"] = markup.plain_inline_html(values["emergency_note"])
        translations[language] = values
    return translations


def read_guide(path: Path) -> GuideEntry:
    data, body = split_front_matter(path.read_text(encoding="utf-8"), path)
    missing = [name for name in REQUIRED_GUIDE_FIELDS if name not in data]
    if missing:
        raise ContentError(f"{path}: missing {', '.join(missing)}")
    kind = data.get("kind", Guide.Kind.MEDICATION)
    if kind not in Guide.Kind.values:
        raise ContentError(f"{path}: 'kind' must be one of {', '.join(Guide.Kind.values)}")
    condition = data.get("condition", DEFAULT_CONDITION_SLUG)
    if not isinstance(condition, str) or not condition.strip():
        raise ContentError(f"{path}: 'condition' must be a condition's slug")
    row = {name: _text(data, name, path, required=False) for name in ROW_KEYS}
    summary = data["summary"]
    if not isinstance(summary, list) or not all(isinstance(item, str) for item in summary):
        raise ContentError(f"{path}: 'summary' must be a list of strings")
    claimed = [name for name in REVIEW_KEYS if name in data]
    if claimed:
        raise ContentError(
            f"{path}: {', '.join(repr(name) for name in claimed)}: a file cannot claim a "
            "medical review; remove the key (a medical reviewer signs the guide off in "
            "the admin)"
        )
    status = data.get("status", Guide.Status.DRAFT)
    if status not in (Guide.Status.DRAFT, Guide.Status.PUBLISHED):
        raise ContentError(f'{path}: \'status\' must be "draft" or "published"')
    values = {
        "slug": _text(data, "slug", path),
        "title": _text(data, "title", path),
        "medication": _text(data, "medication", path),
        "description": _text(data, "description", path),
        "condition": condition.strip(),
        "kind": kind,
        **row,
        # One takeaway per line: a line break inside an item would split it.
        "summary": "\n".join(" ".join(item.split()) for item in summary if item.strip()),
        "overdose_signs": _text(data, "overdose_signs", path, required=False),
        "body": body,
        "order": int(data.get("order", 100)),
        "status": status,
    }
    faqs = []
    for number, item in enumerate(data.get("faq", []), start=1):
        if not isinstance(item, dict):
            raise ContentError(f"{path}: faq {number} must be a table")
        faqs.append((_text(item, "question", path), _text(item, "answer", path)))
    related = data.get("related", [])
    if not isinstance(related, list) or not all(isinstance(slug, str) for slug in related):
        raise ContentError(f"{path}: 'related' must be a list of guide slugs")
    changes = read_changes(data, path)
    return GuideEntry(path=path, values=values, faqs=faqs, related=related, changes=changes)


def read_translation(path: Path, language: str) -> TranslationEntry:
    """A translation file: the English guide it translates (translation_of) and only
    the translated fields; the rest is the English guide's."""
    data, body = split_front_matter(path.read_text(encoding="utf-8"), path)
    english = [name for name in FROM_THE_ENGLISH_GUIDE if name in data]
    if english:
        raise ContentError(
            f"{path}: {', '.join(repr(name) for name in english)}: a translation takes "
            "this from the English guide; remove the key"
        )
    claimed = [name for name in REVIEW_KEYS if name in data]
    if claimed:
        raise ContentError(
            f"{path}: {', '.join(repr(name) for name in claimed)}: a file cannot claim a "
            "medical review; remove the key (a medical reviewer signs the translation off "
            "in the admin)"
        )
    unknown = sorted(set(data) - TRANSLATION_KEYS)
    if unknown:
        raise ContentError(f"{path}: unknown key(s) {', '.join(repr(k) for k in unknown)}")
    missing = [
        name
        for name in ("translation_of", "title", "medication", "description", "summary")
        if name not in data
    ]
    if missing:
        raise ContentError(f"{path}: missing {', '.join(missing)}")
    translation_of = _text(data, "translation_of", path)
    if translation_of != path.stem:
        raise ContentError(
            f"{path}: 'translation_of' is '{translation_of}': the file is named after the "
            f"English guide it translates ({translation_of}.md)"
        )
    summary = data["summary"]
    if not isinstance(summary, list) or not all(isinstance(item, str) for item in summary):
        raise ContentError(f"{path}: 'summary' must be a list of strings")
    status = data.get("status", Guide.Status.DRAFT)
    if status not in (Guide.Status.DRAFT, Guide.Status.PUBLISHED):
        raise ContentError(f'{path}: \'status\' must be "draft" or "published"')
    fingerprint = data.get("source_fingerprint", "")
    if not isinstance(fingerprint, str) or (fingerprint and not FINGERPRINT_RE.match(fingerprint)):
        raise ContentError(
            f"{path}: 'source_fingerprint' is written by manage.py stamp_translations; "
            "remove the line or stamp the file again"
        )
    description = _text(data, "description", path)
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ContentError(
            f"{path}: 'description' is {len(description)} characters; keep it under "
            f"{DESCRIPTION_MAX_LENGTH}"
        )
    if markup.cited_keys(description):
        raise ContentError(f"{path}: 'description' cites no source (search engines show it)")
    values = {
        "title": _text(data, "title", path),
        "medication": _text(data, "medication", path),
        "description": description,
        **{name: _text(data, name, path, required=False) for name in ROW_TEXT_FIELDS},
        "summary": "\n".join(" ".join(item.split()) for item in summary if item.strip()),
        "overdose_signs": _text(data, "overdose_signs", path, required=False),
        "body": body,
        "status": status,
        "source_fingerprint": fingerprint,
    }
    faqs = []
    for number, item in enumerate(data.get("faq", []), start=1):
        if not isinstance(item, dict):
            raise ContentError(f"{path}: faq {number} must be a table")
        faqs.append((_text(item, "question", path), _text(item, "answer", path)))
    changes = read_changes(data, path)
    return TranslationEntry(
        path=path,
        language=language,
        translation_of=translation_of,
        values=values,
        faqs=faqs,
        changes=changes,
    )


def read_translations(guides_dir: Path) -> list[TranslationEntry]:
    """Every guides/<language>/*.md of the translation languages."""
    return [
        read_translation(path, language)
        for language, _ in TRANSLATION_LANGUAGES
        for path in sorted((guides_dir / language).glob("*.md"))
    ]


def check_translations(
    translations: list[TranslationEntry],
    guides: list[GuideEntry],
    conditions: list[ConditionEntry],
    keys: set[str],
) -> None:
    """Each translation names an English guide, cites known sources, has its
    language's required sections and the cells its condition's table needs, and as
    many takeaways and questions as the English guide."""
    english = {guide.slug: guide for guide in guides}
    known_conditions = {entry.slug: entry.as_condition() for entry in conditions}
    for entry in translations:
        path = entry.path
        guide = english.get(entry.translation_of)
        if guide is not None:
            kind, slug = guide.values["kind"], guide.values["condition"]
            fda_status = guide.values["fda_status"]
            english_counts = (len(guide.values["summary"].splitlines()), len(guide.faqs))
        else:
            row = Guide.objects.filter(slug=entry.translation_of).select_related("condition")
            stored = row.first()
            if stored is None:
                raise ContentError(
                    f"{path}: translation_of '{entry.translation_of}': no English guide "
                    "has that slug"
                )
            kind, slug, fda_status = stored.kind, stored.condition.slug, stored.fda_status
            english_counts = (len(stored.summary_items), stored.faqs.count())
            known_conditions.setdefault(slug, stored.condition)
        cited = [key for text in entry.texts() for key in markup.cited_keys(text)]
        unknown = [key for key in dict.fromkeys(cited) if key not in keys]
        if unknown:
            listed = ", ".join(f"'{key}'" for key in unknown)
            raise ContentError(f"{path}: unknown citation key {listed}")
        condition = known_conditions.get(slug) or Condition.objects.filter(slug=slug).first()
        if condition is None:
            condition = Condition(**DEFAULT_CONDITION)
        row_values = {name: entry.values[name] for name in ROW_TEXT_FIELDS}
        problems = row_problems(
            kind=kind, condition=condition, values={**row_values, "fda_status": fda_status}
        )
        if problems:
            raise ContentError(f"{path}: {'; '.join(problems.values())}")
        if issues := section_problems(entry.values["body"], kind, entry.language):
            raise ContentError(f"{path}: {'; '.join(issues)}")
        counts = (len(entry.values["summary"].splitlines()), len(entry.faqs))
        if counts[0] != english_counts[0]:
            raise ContentError(
                f"{path}: {counts[0]} summary items; the English guide has {english_counts[0]}"
            )
        if counts[1] != english_counts[1]:
            raise ContentError(
                f"{path}: {counts[1]} [[faq]] tables; the English guide has {english_counts[1]}"
            )


def read_changes(data: dict, path: Path) -> list[tuple[date, str]]:
    """The [[change]] tables of a guide's front matter: a date (a TOML date, not in
    the future) and a one-line summary for readers."""
    tables = data.get("change", [])
    if not isinstance(tables, list):
        raise ContentError(f"{path}: 'change' must be [[change]] tables")
    changes = []
    today = timezone.localdate()
    for number, table in enumerate(tables, start=1):
        if not isinstance(table, dict):
            raise ContentError(f"{path}: change {number} must be a table")
        on = table.get("date")
        if not isinstance(on, date) or isinstance(on, datetime):
            raise ContentError(
                f"{path}: change {number} needs a date such as 'date = 2026-11-25' (no quotes)"
            )
        if on > today:
            raise ContentError(f"{path}: change {number} is dated {on}, in the future")
        summary = table.get("summary")
        if not isinstance(summary, str) or not summary.strip() or "\n" in summary.strip():
            raise ContentError(f"{path}: change {number} needs a one-line 'summary'")
        summary = " ".join(summary.split())
        if len(summary) > CHANGE_SUMMARY_MAX_LENGTH:
            raise ContentError(
                f"{path}: change {number}'s summary is over {CHANGE_SUMMARY_MAX_LENGTH} characters"
            )
        changes.append((on, summary))
    return changes


def read_content(directory: Path, *, known_source_keys: set[str] | None = None) -> Content:
    """Parse and check the sources and guides under a content directory.

    known_source_keys: keys already in the database, also valid in citations.
    """
    directory = Path(directory)
    guides_dir = directory / "guides"
    if not guides_dir.is_dir():
        raise ContentError(f"{guides_dir}: no such directory")
    sources = read_sources(directory / "sources.toml")
    conditions = read_conditions(directory / CONDITIONS_FILE)
    guides = [read_guide(path) for path in sorted(guides_dir.glob("*.md"))]
    check_guide_conditions(guides, conditions, directory / CONDITIONS_FILE)

    keys = {entry.key for entry in sources} | set(known_source_keys or ())
    slugs: dict[str, Path] = {}
    for guide in guides:
        if guide.slug in slugs:
            raise ContentError(
                f"{guide.path}: slug '{guide.slug}' is also used by {slugs[guide.slug]}"
            )
        slugs[guide.slug] = guide.path
        cited = [key for text in guide.texts() for key in markup.cited_keys(text)]
        unknown = [key for key in dict.fromkeys(cited) if key not in keys]
        if unknown:
            listed = ", ".join(f"'{key}'" for key in unknown)
            raise ContentError(f"{guide.path}: unknown citation key {listed}")
    for guide in guides:
        for slug in guide.related:
            if slug not in slugs and not Guide.objects.filter(slug=slug).exists():
                raise ContentError(f"{guide.path}: related guide '{slug}' does not exist")
    translations = read_translations(guides_dir)
    check_translations(translations, guides, conditions, keys)
    return Content(sources=sources, guides=guides, conditions=conditions, translations=translations)


def check_guide_conditions(
    guides: list[GuideEntry], conditions: list[ConditionEntry], conditions_path: Path
) -> None:
    """Each guide's condition exists (in the file or the database), its row fits
    the condition's table, a comparison page has the table's section, and a
    condition has at most one comparison page."""
    known = {entry.slug: entry.as_condition() for entry in conditions}
    elsewhere = {guide.values["condition"] for guide in guides} - set(known)
    if elsewhere:  # only then the database (the shipped files read without one)
        known.update({c.slug: c for c in Condition.objects.filter(slug__in=elsewhere)})
        if DEFAULT_CONDITION_SLUG not in known:  # made by the load (Condition.objects.named)
            known[DEFAULT_CONDITION_SLUG] = Condition(**DEFAULT_CONDITION)
    comparison_pages: dict[str, Path] = {}
    for guide in guides:
        values = guide.values
        condition = known.get(values["condition"])
        if condition is None:
            raise ContentError(
                f"{guide.path}: condition '{values['condition']}' is not in {conditions_path}"
            )
        problems = row_problems(
            kind=values["kind"],
            condition=condition,
            values={name: values[name] for name in ROW_KEYS},
        )
        if problems:
            raise ContentError(f"{guide.path}: {'; '.join(problems.values())}")
        if problem := comparison_page_problem(kind=values["kind"], body=values["body"]):
            raise ContentError(f"{guide.path}: {problem}")
        if values["kind"] == Guide.Kind.COMPARISON:
            if condition.slug in comparison_pages:
                raise ContentError(
                    f"{guide.path}: {comparison_pages[condition.slug]} is already the "
                    f"comparison page of {condition.name}"
                )
            comparison_pages[condition.slug] = guide.path
