"""Models of the education app: medication guides and their shared bibliography.

A guide's markdown (summary, body, FAQ answers) is rendered by
education.services.guide_render once the guide and its FAQs are saved; the HTML,
the table of contents and the numbered list of cited sources are stored, so a
request reads them and never parses markdown.

A medical review is a record (GuideReview), not a field: a reviewer signs off the
fingerprint of what readers see (Guide.current_fingerprint), and the page claims
the review only while the guide's stored content_fingerprint still equals it.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from education import markup

if TYPE_CHECKING:
    from django.contrib.auth.models import User

REVIEW_INTERVAL = timedelta(days=365)
EDITORS_GROUP = "Editors"
REVIEWERS_GROUP = "Medical reviewers"
SIGN_OFF_PERMISSION = "education.sign_off_review"
APPROVE_TESTIMONIAL_PERMISSION = "education.approve_testimonial"
# Part of every fingerprint: a change to what it covers is a new version.
FINGERPRINT_VERSION = 1
# The guide fields a reader sees (the comparison table shows the last three).
FINGERPRINTED_FIELDS_V1 = (
    "title",
    "medication",
    "description",
    "summary",
    "overdose_signs",
    "body",
    "fda_status",
    "mechanism",
    "key_caution",
)
# Fields readers see that came after version 1. Each enters the fingerprint only
# when it differs from this value, the one every guide had before the field
# existed: a guide that does not use them keeps the fingerprint it was signed off
# with. (The condition is named by its slug.)
LATER_FINGERPRINTED_FIELDS = {
    "condition": "alcohol-use-disorder",
    "kind": "medication",
    "fda_detail": "",
    "where_to_get": "",
    "how_often": "",
    "evidence": "",
}
FINGERPRINTED_FIELDS = (*FINGERPRINTED_FIELDS_V1, *LATER_FINGERPRINTED_FIELDS)

# The condition a guide is for when nothing says otherwise: every guide written
# before conditions existed, and a file without `condition`.
DEFAULT_CONDITION_SLUG = "alcohol-use-disorder"
# The condition rows are loaded from education/content/conditions.toml; this is
# the one the migration gives the guides that existed before, and the one a
# guide saved without a condition gets when the table has none (an empty test
# database). The file's entry is kept equal to it (tests/education/test_conditions.py).
DEFAULT_CONDITION = {
    "slug": DEFAULT_CONDITION_SLUG,
    "name": "alcohol use disorder",
    "short_name": "AUD",
    "description": (
        "Several medicines can help people cut down or stop drinking. Each guide explains "
        "how a medicine is thought to work, what the research shows and what to watch for, "
        "with a numbered source for every claim."
    ),
    "order": 1,
    "columns": [
        ["fda_status", "FDA status for alcohol use disorder"],
        ["mechanism", "How it is thought to work"],
        ["key_caution", "Key caution"],
    ],
    "overdose_heading": "",
    "emergency_note": (
        "**Stopping heavy drinking all at once can be dangerous.** Talk with a doctor "
        "before you stop. [Signs of alcohol withdrawal to watch for](/crisis/#alcohol-withdrawal)."
    ),
}

# The cells a comparison table can have, in the order the guide admin lists them:
# a condition's `columns` choose some of them, in its own order. The FDA status
# cell shows the badge, then `fda_detail` when the guide has one.
ROW_FIELDS = ("mechanism", "where_to_get", "how_often", "fda_status", "key_caution", "evidence")
# The cells' texts: short markdown, citations allowed.
ROW_TEXT_FIELDS = ("fda_detail", *(name for name in ROW_FIELDS if name != "fda_status"))
ROW_FIELD_MAX_LENGTH = 300
# The '##' section of a comparison page under whose heading the table is placed.
COMPARISON_TABLE_SECTION = "The medications side by side"
# Its heading in a translated comparison page, by language.
TRANSLATED_TABLE_SECTIONS = {"es": "Los medicamentos lado a lado"}
FINGERPRINTED_SOURCE_FIELDS = ("key", "authors", "title", "venue", "year", "url", "doi")
# A line of a guide's public change log (GuideChange.summary).
CHANGE_SUMMARY_MAX_LENGTH = 200
# One to three capital initials, each followed by a full stop: "J.", "J.M.", "A.B.C.".
INITIALS_PATTERN = r"^[A-Z]\.(?:[A-Z]\.){0,2}\Z"
INITIALS_MESSAGE = (
    "Initials only: one to three capital letters, each followed by a full stop and no "
    "spaces, for example 'J.M.'. Never a name."
)


def unknown_keys_message(keys: list[str]) -> str:
    listed = ", ".join(f"[^{key}]" for key in keys)
    return (
        f"Unknown citation key(s): {listed}. Add the source to the bibliography first, "
        "or correct the key."
    )


def known_source_keys(*texts: str) -> dict[str, int]:
    """Keys cited in the texts that exist in the bibliography, with their ids."""
    keys = {key for text in texts for key in markup.cited_keys(text)}
    if not keys:
        return {}
    return dict(Source.objects.filter(key__in=keys).values_list("key", "pk"))


def check_citations(*texts: str) -> None:
    """Raise ValidationError naming every cited key that is not a known source."""
    known = known_source_keys(*texts)
    missing = [key for text in texts for key in markup.cited_keys(text) if key not in known]
    if missing:
        raise ValidationError(unknown_keys_message(list(dict.fromkeys(missing))))


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".?!" else f"{text}."


class SourceQuerySet(models.QuerySet):
    def with_usage(self):
        return self.annotate(guide_count=models.Count("citations", distinct=True))

    def with_link(self):
        """Entries the page links: those with a URL or a DOI (Source.link)."""
        return self.exclude(url="", doi="")


class Source(models.Model):
    """One entry of the bibliography shared by every guide."""

    class LinkStatus(models.TextChoices):
        UNKNOWN = "unknown", "not checked"
        OK = "ok", "works"
        BROKEN = "broken", "broken link"

    key = models.CharField(
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                rf"^{markup.CITATION_KEY}$", "Use letters, digits, dots, underscores or hyphens."
            )
        ],
        help_text="Cite it in a guide as [^key].",
    )
    authors = models.CharField(max_length=500, blank=True)
    title = models.CharField(max_length=500)
    venue = models.CharField(max_length=300, blank=True, help_text="Journal, publisher or agency.")
    year = models.CharField(max_length=20, blank=True, help_text="As cited: 2023, 'current'...")
    url = models.URLField("URL", max_length=500, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True, help_text="Linked when no URL.")
    language = models.CharField(
        max_length=8,
        choices=(("en", "English"), ("es", "Spanish")),
        default="en",
        help_text="The language of the page it links: a page in another language marks "
        "its title with it.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    # The weekly link check (education.services.sources_check_links) writes these
    # with update(): checking a link changes no page.
    link_status = models.CharField(
        max_length=10, choices=LinkStatus.choices, default=LinkStatus.UNKNOWN, editable=False
    )
    link_status_code = models.PositiveSmallIntegerField(
        "HTTP status", null=True, blank=True, editable=False, help_text="None: no answer."
    )
    link_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    link_broken_since = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return self.key

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # The pages that list this entry changed: move their cache validators on.
        Guide.objects.filter(citations__source=self).update(updated_at=timezone.now())

    def is_cited_by_published_guide(self) -> bool:
        """Whether a live page lists this entry (so changing it changes that page)."""
        return (
            self.pk is not None
            and Guide.objects.published().filter(citations__source=self).exists()
        )

    @property
    def authors_sentence(self) -> str:
        return _sentence(self.authors)

    @property
    def title_sentence(self) -> str:
        return _sentence(self.title)

    @property
    def published_in(self) -> str:
        """Venue and year as one sentence: 'Lancet, 2007.'"""
        return _sentence(", ".join(part for part in (self.venue, self.year) if part))

    @property
    def link(self) -> str:
        if self.url:
            return self.url
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return ""

    def forget_link_check(self) -> None:
        """Its URL or DOI changed: what the last link check found no longer applies."""
        self.link_status = self.LinkStatus.UNKNOWN
        self.link_status_code = self.link_checked_at = self.link_broken_since = None


def column_problems(columns) -> list[str]:
    """What is wrong with a condition's comparison-table columns ([field, label] pairs)."""
    if not isinstance(columns, list) or not columns:
        return ["'columns' must list the table's columns as [field, label] pairs"]
    problems, seen = [], set()
    for number, column in enumerate(columns, start=1):
        if (
            not isinstance(column, list | tuple)
            or len(column) != 2
            or not all(isinstance(part, str) and part.strip() for part in column)
        ):
            problems.append(f"column {number} must be a [field, label] pair of words")
            continue
        name = column[0]
        if name not in ROW_FIELDS:
            problems.append(
                f"column {number}: unknown field '{name}' (one of {', '.join(ROW_FIELDS)})"
            )
        elif name in seen:
            problems.append(f"column {number}: '{name}' appears twice")
        seen.add(name)
    return problems


# The comparison table's column headers on a translated page (catalogue strings;
# the English page uses its condition's own `columns` labels).
COLUMN_LABELS = {
    "mechanism": gettext_lazy("How it works"),
    "where_to_get": gettext_lazy("Where you get it"),
    "how_often": gettext_lazy("How often"),
    "fda_status": gettext_lazy("FDA status"),
    "key_caution": gettext_lazy("Key caution"),
    "evidence": gettext_lazy("What the research shows"),
}


@dataclass
class ConditionText:
    """A condition's texts in one language (Condition.text_in); lang is the language
    they are in (English when the condition has no translation)."""

    condition: "Condition"
    lang: str
    name: str
    short_name: str
    description: str
    overdose_heading: str
    emergency_note_html: str
    columns: list[tuple[str, str]]

    @property
    def slug(self) -> str:
        return self.condition.slug

    @property
    def title(self) -> str:
        return self.name[:1].upper() + self.name[1:]

    @property
    def heading(self) -> str:
        if self.lang == "en":
            return self.condition.heading
        with translation.override(self.lang):
            return gettext("Medications for %(condition)s") % {"condition": self.name}

    @property
    def column_fields(self) -> list[str]:
        return [name for name, _ in self.columns]

    @property
    def labels(self) -> list[str]:
        return [label for _, label in self.columns]


class ConditionQuerySet(models.QuerySet["Condition"]):
    def default(self) -> "Condition":
        """The condition of a guide that names none (DEFAULT_CONDITION_SLUG), made
        from DEFAULT_CONDITION when the table lacks it (a test database emptied)."""
        condition, _ = self.get_or_create(
            slug=DEFAULT_CONDITION_SLUG,
            defaults={k: v for k, v in DEFAULT_CONDITION.items() if k != "slug"},
        )
        return condition

    def named(self, slug: str) -> "Condition":
        """The condition with this slug (the default one made when missing)."""
        return self.default() if slug == DEFAULT_CONDITION_SLUG else self.get(slug=slug)


class Condition(models.Model):
    """What a guide's medicine treats: alcohol use disorder, opioid use disorder.

    Loaded from education/content/conditions.toml. The guide list shows one section
    per condition, with its comparison table (`columns`), the guide page states the
    FDA status for it, and the structured data names it (MedicalCondition).
    """

    slug = models.SlugField(max_length=80, unique=True, help_text="The list section's anchor.")
    name = models.CharField(
        max_length=100, help_text="As in a sentence, lower case: 'opioid use disorder'."
    )
    short_name = models.CharField(max_length=20, blank=True, help_text="'OUD'.")
    description = models.TextField(help_text="Plain text under its heading in the guide list.")
    order = models.PositiveSmallIntegerField(default=100, help_text="Position in lists.")
    columns = models.JSONField(
        default=list,
        help_text="The comparison table's columns after the medication: [field, label] "
        f"pairs; fields: {', '.join(ROW_FIELDS)}.",
    )
    overdose_heading = models.CharField(
        max_length=200,
        blank=True,
        help_text="Heading of the signs of overdose in the emergency box; empty: "
        "'If someone took too much <medication>'.",
    )
    emergency_note = models.TextField(
        blank=True,
        help_text="The emergency box's step for this condition: markdown (bold, links), "
        "no citations.",
    )
    emergency_note_html = models.TextField(blank=True, editable=False)
    # Its texts in other languages: {"es": {"name", "description", "overdose_heading",
    # "emergency_note", "emergency_note_html"}}, from conditions.toml's [condition.es].
    translations = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConditionQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.emergency_note_html = markup.plain_inline_html(self.emergency_note)
        for texts in (self.translations or {}).values():
            texts["emergency_note_html"] = markup.plain_inline_html(texts.get("emergency_note", ""))
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "emergency_note_html",
                "translations",
            }
        super().save(*args, **kwargs)
        # Its guides' pages name it: move their cache validators on.
        Guide.objects.filter(condition=self).update(updated_at=timezone.now())

    def get_absolute_url(self):
        return reverse("education:guide-list") + f"#{self.slug}"

    def clean(self):
        errors = {}
        if problems := column_problems(self.columns):
            errors["columns"] = problems
        if markup.cited_keys(self.emergency_note):
            errors["emergency_note"] = ["The emergency box's step cites no source."]
        if errors:
            raise ValidationError(errors)

    @property
    def title(self) -> str:
        """'Opioid use disorder'."""
        return self.name[:1].upper() + self.name[1:]

    @property
    def heading(self) -> str:
        return f"Medications for {self.name}"

    @property
    def column_fields(self) -> list[str]:
        return [name for name, _ in self.columns]

    def text_in(self, language: str) -> "ConditionText":
        """Its texts in `language`: the translated ones (conditions.toml's
        [condition.<language>]), or the English ones, marked as English, without them."""
        texts = (self.translations or {}).get(language) if language != "en" else None
        if not texts or not texts.get("name"):
            return ConditionText(
                condition=self,
                lang="en",
                name=self.name,
                short_name=self.short_name,
                description=self.description,
                overdose_heading=self.overdose_heading,
                emergency_note_html=self.emergency_note_html,
                columns=[tuple(column) for column in self.columns],
            )
        return ConditionText(
            condition=self,
            lang=language,
            name=texts["name"],
            short_name=texts.get("short_name", ""),
            description=texts.get("description", "") or self.description,
            overdose_heading=texts.get("overdose_heading", ""),
            emergency_note_html=texts.get("emergency_note_html", ""),
            columns=[(name, str(COLUMN_LABELS[name])) for name in self.column_fields],
        )

    def row_markdown(self, guide: "Guide") -> list[str]:
        """The guide's cells in this condition's table, in column order: each one's
        markdown (for the FDA status, the words after the badge: fda_detail)."""
        return [
            guide.fda_detail if name == "fda_status" else getattr(guide, name)
            for name in self.column_fields
        ]


class ReviewedQuerySet(models.QuerySet):
    """Rows with a medical review of their own: guides and translations (GuidePage)."""

    def review_in_state(self, state: str, today: date | None = None):
        """Rows whose own medical review is in the state (a Guide.ReviewState)."""
        cutoff = review_cutoff(today)
        matches = models.Q(last_review__fingerprint=models.F("content_fingerprint"))
        if state == Guide.ReviewState.NEVER:
            return self.filter(last_review__isnull=True)
        if state == Guide.ReviewState.CHANGED:
            return self.filter(~matches, last_review__isnull=False)
        if state == Guide.ReviewState.OVERDUE:
            return self.filter(matches, last_review__signed_at__lt=cutoff)
        if state == Guide.ReviewState.VALID:
            return self.filter(matches, last_review__signed_at__gte=cutoff)
        raise ValueError(f"unknown review state {state!r}")


class GuideQuerySet(ReviewedQuerySet):
    def published(self):
        return self.filter(status=Guide.Status.PUBLISHED)

    def review_not_current(self, today: date | None = None):
        """Guides without a valid review: changed since it, never reviewed or overdue."""
        valid = Guide.objects.review_in_state(Guide.ReviewState.VALID, today)
        return self.exclude(pk__in=valid.values("pk"))

    def for_page(self):
        """Everything the guide page shows, in a fixed number of queries."""
        return self.prefetch_related(*page_prefetches())

    def table_rows(self, condition: "Condition"):
        """The rows of the condition's comparison table: its published medications."""
        return self.published().filter(condition=condition, kind=Guide.Kind.MEDICATION)

    def for_list(self):
        """The published guides with what the guide list and the home page show."""
        return (
            self.published()
            .select_related("condition")
            .only(
                "slug",
                "title",
                "medication",
                "description",
                "kind",
                "fda_status",
                "row_html",
                "order",
                "condition",
            )
            .order_by("condition__order", "condition__name", "order", "title")
        )


def review_cutoff(today: date | None = None) -> datetime:
    """A review signed before this moment is overdue: over REVIEW_INTERVAL ago, by date."""
    today = today or timezone.localdate()
    return datetime.combine(
        today - REVIEW_INTERVAL, time.min, tzinfo=timezone.get_current_timezone()
    )


def content_fingerprint(
    *,
    fields: dict,
    faqs: list[tuple[str, str]],
    sources: list[dict],
    table: dict | None = None,
) -> str:
    """SHA-256 of a canonical JSON of what a reader sees of a guide.

    fields: FINGERPRINTED_FIELDS' values (the later ones count only when they differ
    from LATER_FINGERPRINTED_FIELDS); faqs: (question, answer) in page order;
    sources: FINGERPRINTED_SOURCE_FIELDS of each cited source (sorted here by key);
    table: a comparison page's table as it shows it (Guide.comparison_document).
    """
    document = {
        "version": FINGERPRINT_VERSION,
        **{name: fields[name] for name in FINGERPRINTED_FIELDS_V1},
        **{
            name: fields[name]
            for name, before in LATER_FINGERPRINTED_FIELDS.items()
            if fields[name] != before
        },
        **({"table": table} if table is not None else {}),
        "faqs": [{"question": question, "answer": answer} for question, answer in faqs],
        "sources": sorted(
            ({name: source[name] for name in FINGERPRINTED_SOURCE_FIELDS} for source in sources),
            key=lambda source: source["key"],
        ),
    }
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def page_prefetches() -> list:
    """What a guide page shows beyond the guide row, one query each: nothing now. Its
    FAQs, sources, related guides, change log and testimonials are stored on the row
    (GuidePage's *_html fields and json_ld_parts, Guide.shown_testimonials)."""
    return []


def changes_prefetch() -> models.Prefetch:
    """A guide's or a translation's change log as its page lists it, newest first: what
    a page renders its sections from when it cannot read them stored (a guide not
    translated, on a page in another language)."""
    return models.Prefetch("changes", queryset=GuideChange.objects.only("guide", "date", "summary"))


class GuidePage(models.Model):
    """What a guide page shows in one language, as a guide (English) and each of its
    translations hold it, each in a table of its own: the texts, their publication,
    and what the render stores (education.services.guide_render and
    translation_render), so a request reads HTML ready and never parses markdown.
    Each has its own medical review (last_review), read through the methods here.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"

    class ReviewState(models.TextChoices):
        VALID = "valid", "valid"
        CHANGED = "changed", "changed since review"
        NEVER = "never", "never reviewed"
        OVERDUE = "overdue", "overdue"

    title = models.CharField(max_length=200)
    medication = models.CharField(max_length=100)
    description = models.CharField(
        max_length=300, help_text="The meta description search engines show; under 160 characters."
    )
    summary = models.TextField(
        "key takeaways", help_text="One takeaway per line; markdown and citations allowed."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The page's "Updated on": the date of the newest change-log entry, or the day of
    # first publication while the log is empty. updated_at is when the row was last
    # written (a load, a cited source, a testimonial), which moves the page's cache
    # validators but is no news to a reader.
    content_updated_on = models.DateField(
        "content updated on", null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Stored by the render, in the page's language.
    summary_html = models.JSONField(default=list, editable=False)
    body_html = models.TextField(blank=True, editable=False)
    # One rendering per emergency box, in reading order (each with its own citation ids).
    overdose_signs_html = models.JSONField(default=list, editable=False)
    toc = models.JSONField(default=list, editable=False)
    # A medication's row cells for the guide list: ROW_TEXT_FIELDS' HTML, without
    # citation marks (the comparison page numbers them among its own sources).
    row_html = models.JSONField(default=dict, editable=False)
    # current_fingerprint() as of the last render, or FAQ or cited source change.
    content_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # The page's FAQ, Sources and Related medications sections, and the parts of its
    # JSON-LD that come from them ({"faq": [...], "citation": [...]}); a cited source's
    # change, or a listed guide's, renders its part again (education.signals), so a
    # page request reads none of those rows.
    faqs_html = models.TextField(blank=True, editable=False)
    sources_html = models.TextField(blank=True, editable=False)
    related_html = models.TextField(blank=True, editable=False)
    json_ld_parts = models.JSONField(default=dict, editable=False)
    # The page's sections that no request changes (education.services.sections_render):
    # the key takeaways, the two emergency boxes (in reading order), the table of
    # contents and the change log ("What changed"), with the date of the log's oldest
    # entry (first_published_on). Rendered again when the texts, the condition or the
    # change log change (education.signals).
    takeaways_html = models.TextField(blank=True, editable=False)
    emergency_html = models.JSONField(default=list, editable=False)
    toc_html = models.TextField(blank=True, editable=False)
    changes_html = models.TextField(blank=True, editable=False)
    first_change_on = models.DateField(null=True, blank=True, editable=False)

    if TYPE_CHECKING:
        # Each model's own: a foreign key to its own kind of review record.
        last_review: "GuideReview | TranslationReview | None"

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        """Save the row, dated on its first publication."""
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        if self.content_updated_on is None and self.published_at is not None:
            self.content_updated_on = timezone.localdate(self.published_at)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "published_at",
                "content_updated_on",
                "updated_at",
            }
        super().save(*args, **kwargs)

    def citation_errors(self) -> dict[str, list[str]]:
        """clean()'s messages for the texts that cite an unknown source, by field."""
        errors = {}
        for name in ("summary", "overdose_signs", "body", *ROW_TEXT_FIELDS):
            try:
                check_citations(getattr(self, name))
            except ValidationError as error:
                errors[name] = error.messages
        return errors

    @property
    def summary_items(self) -> list[str]:
        return [line.strip() for line in self.summary.splitlines() if line.strip()]

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def first_published_on(self) -> date | None:
        """The date of the oldest change-log entry (its first publication), as stored
        with the log, else the day published_at was set."""
        if self.first_change_on is not None:
            return self.first_change_on
        return timezone.localdate(self.published_at) if self.published_at else None

    def current_fingerprint(self, faqs: list[tuple[str, str]] | None = None) -> str:
        """The fingerprint of what a reader sees now: each model's own."""
        raise NotImplementedError

    def refresh_content_fingerprint(self) -> bool:
        """Store current_fingerprint() (after a FAQ or cited source changed in place);
        whether it changed."""
        fingerprint = self.current_fingerprint()
        if fingerprint == self.content_fingerprint:
            return False
        self.content_fingerprint = fingerprint
        type(self)._default_manager.filter(pk=self.pk).update(
            content_fingerprint=fingerprint, updated_at=timezone.now()
        )
        return True

    def review_state_for(self, fingerprint: str, today: date | None = None) -> str:
        """The review state (a Guide.ReviewState) of content with this fingerprint."""
        review = self.last_review
        if review is None:
            return self.ReviewState.NEVER
        if review.fingerprint != fingerprint:
            return self.ReviewState.CHANGED
        if review.signed_at < review_cutoff(today):
            return self.ReviewState.OVERDUE
        return self.ReviewState.VALID

    @property
    def review_state(self) -> str:
        """The review state of the stored content (what the page shows)."""
        return self.review_state_for(self.content_fingerprint)

    def review_state_now(self, today: date | None = None) -> str:
        """The review state of the content as the rows read now, not as last stored:
        what a launch is gated on (guides_review_status, launch_check). Only VALID
        is a current review."""
        return self.review_state_for(self.current_fingerprint(), today)

    @property
    def review_is_current(self) -> bool:
        """Whether the page may claim the last review: valid, or valid but overdue."""
        return self.review_state in (self.ReviewState.VALID, self.ReviewState.OVERDUE)

    @property
    def review_due_at(self) -> datetime | None:
        """When the last review becomes overdue (the start of that day)."""
        if self.last_review is None:
            return None
        signed_on = timezone.localdate(self.last_review.signed_at)
        return datetime.combine(
            signed_on + REVIEW_INTERVAL + timedelta(days=1),
            time.min,
            tzinfo=timezone.get_current_timezone(),
        )

    @property
    def changed_after_review_on(self) -> date | None:
        """The "Updated on" date of a page changed since its last review.

        The change log's date (content_updated_on) when it is not older than the
        review; otherwise the change is one the log does not list (a FAQ or a
        cited source edited in place), and the day the row last moved is used.
        """
        review = self.last_review
        if review is None:
            return self.content_updated_on
        if self.content_updated_on is not None and self.content_updated_on >= review.signed_on:
            return self.content_updated_on
        return timezone.localdate(self.updated_at)


class Guide(GuidePage):
    class FdaStatus(models.TextChoices):
        # For the guide's condition: Guide.fda_status_label names it.
        APPROVED = "approved", "FDA-approved"
        OFF_LABEL = "off_label", "Off-label"

    class Kind(models.TextChoices):
        MEDICATION = "medication", "Medication (a row of its condition's comparison table)"
        RESCUE = "rescue", "Overdose reversal (no row in the table, no FDA-status badge)"
        COMPARISON = "comparison", "Comparison page (shows its condition's table)"

    slug = models.SlugField(max_length=80, unique=True)
    condition = models.ForeignKey(
        Condition,
        on_delete=models.PROTECT,
        related_name="guides",
        help_text="What the medicine treats: the guide list's section, the FDA status's "
        "condition, the comparison table the guide is a row of.",
    )
    kind = models.CharField(
        max_length=20, choices=Kind.choices, default=Kind.MEDICATION, help_text="What the page is."
    )
    # The comparison-table row (a medication's only; the condition's columns say
    # which cells it needs): short markdown, citations allowed.
    fda_status = models.CharField(
        "FDA status for its condition",
        max_length=20,
        choices=FdaStatus.choices,
        default=FdaStatus.OFF_LABEL,
        blank=True,
        help_text="Empty for an overdose-reversal guide or a comparison page.",
    )
    fda_detail = models.CharField(
        "FDA status, in words",
        max_length=ROW_FIELD_MAX_LENGTH,
        blank=True,
        help_text="Shown after the FDA badge in the table: 'Approved in 2002 (tablets)'.",
    )
    mechanism = models.CharField(
        "how it works",
        max_length=ROW_FIELD_MAX_LENGTH,
        blank=True,
        help_text="How it is thought to work, in a phrase.",
    )
    where_to_get = models.CharField(
        "where you get it",
        max_length=ROW_FIELD_MAX_LENGTH,
        blank=True,
        help_text="Who prescribes or gives it: any prescriber, a clinic, a pharmacy.",
    )
    how_often = models.CharField(
        max_length=ROW_FIELD_MAX_LENGTH, blank=True, help_text="Daily, weekly, monthly..."
    )
    key_caution = models.CharField(
        max_length=ROW_FIELD_MAX_LENGTH, blank=True, help_text="The main caution, in a phrase."
    )
    evidence = models.CharField(
        "what the research shows",
        max_length=ROW_FIELD_MAX_LENGTH,
        blank=True,
        help_text="The main finding, in a phrase.",
    )
    body = models.TextField(
        help_text="Markdown. '## Heading' starts a section in the table of contents; "
        "cite a source with [^key]."
    )
    overdose_signs = models.TextField(
        "signs of overdose",
        blank=True,
        help_text="Shown in the guide's emergency box; markdown and citations allowed.",
    )
    related = models.ManyToManyField("self", symmetrical=False, blank=True)
    order = models.PositiveSmallIntegerField(default=100, help_text="Position in lists.")
    # The testimonials its pages show (Testimonial.objects.shown(): text and initials,
    # newest first), copied here by testimonials_store whenever one changes.
    shown_testimonials = models.JSONField(default=list, editable=False)
    # The newest sign-off (GuideReview), set by education.services.guide_review_sign_off.
    last_review = models.ForeignKey(
        "GuideReview",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    objects = GuideQuerySet.as_manager()

    class Meta:
        ordering = ["order", "title"]
        permissions = [
            ("publish_guide", "Can publish a guide"),
        ]
        indexes = [
            models.Index(fields=["status", "order"], name="guide_status_order_idx"),
            models.Index(fields=["order", "title"], name="guide_order_title_idx"),
            models.Index(fields=["fda_status"], name="guide_fda_status_idx"),
            models.Index(fields=["kind"], name="guide_kind_idx"),
            models.Index(fields=["updated_at"], name="guide_updated_at_idx"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        """Save the row; education.services.guide_render renders its markdown.

        A guide given no condition is for DEFAULT_CONDITION_SLUG's. Its copy of the
        testimonials it shows is read again, so no save writes back an older one."""
        if not self.condition_id:
            self.condition = Condition.objects.default()
        written = kwargs.get("update_fields")
        if self.pk is not None and (written is None or "shown_testimonials" in written):
            self.shown_testimonials = shown_testimonials(self.pk)[self.pk]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("education:guide-detail", args=[self.slug])

    def clean(self):
        errors = self.citation_errors()
        if self.condition_id:
            for field, message in row_problems(
                kind=self.kind, condition=self.condition, values=self.row_values()
            ).items():
                errors.setdefault(field, []).append(message)
        if message := comparison_page_problem(kind=self.kind, body=self.body):
            errors.setdefault("body", []).append(message)
        if errors:
            raise ValidationError(errors)

    def row_values(self) -> dict[str, str]:
        """The comparison-table fields: fda_status and ROW_TEXT_FIELDS."""
        return {name: getattr(self, name) for name in ("fda_status", *ROW_TEXT_FIELDS)}

    @property
    def is_medication(self) -> bool:
        """A row of its condition's comparison table, with an FDA status for it."""
        return self.kind == self.Kind.MEDICATION

    @property
    def is_comparison(self) -> bool:
        return self.kind == self.Kind.COMPARISON

    @property
    def fda_status_label(self) -> str:
        """'FDA-approved for opioid use disorder'; empty for a guide that is no
        medication of its condition (an overdose reversal, a comparison page)."""
        if not self.is_medication or not self.fda_status:
            return ""
        return f"{self.FdaStatus(self.fda_status).label} for {self.condition.name}"

    @property
    def fda_status_in_sentence(self) -> str:
        """fda_status_label after a colon: 'off-label for ...', 'FDA-approved for ...'."""
        label = self.fda_status_label
        return label if label.startswith("FDA") else label[:1].lower() + label[1:]

    @property
    def is_off_label(self) -> bool:
        return self.is_medication and self.fda_status == self.FdaStatus.OFF_LABEL

    def current_fingerprint(self, faqs: list[tuple[str, str]] | None = None) -> str:
        """The fingerprint of what a reader sees now (content_fingerprint()).

        faqs: the (question, answer) pairs in page order; read from the database
        when not given. The cited sources are those the texts cite.
        """
        if faqs is None:
            faqs = [(faq.question, faq.answer) for faq in FAQ.objects.filter(guide_id=self.pk)]
        texts = [self.summary, self.overdose_signs, self.body, *(answer for _, answer in faqs)]
        table = None
        if self.is_comparison:
            # The page shows its condition's table: a changed row changes the page.
            rows = list(Guide.objects.table_rows(self.condition))
            table = comparison_document(self.condition, rows)
            texts += [cell for row in table["rows"] for cell in row["cells"]]
        keys = {key for text in texts for key in markup.cited_keys(text)}
        sources = list(Source.objects.filter(key__in=keys).values(*FINGERPRINTED_SOURCE_FIELDS))
        fields = {name: getattr(self, name) for name in FINGERPRINTED_FIELDS if name != "condition"}
        fields["condition"] = self.condition.slug if self.condition_id else DEFAULT_CONDITION_SLUG
        return content_fingerprint(fields=fields, faqs=faqs, sources=sources, table=table)


def row_problems(*, kind: str, condition: Condition, values: dict[str, str]) -> dict[str, str]:
    """What is wrong with a guide's comparison-table row, by field.

    A medication has every cell its condition's table has a column for, and none
    other; the FDA status cell's words (fda_detail) go with an FDA status column.
    An overdose-reversal guide or a comparison page has no row: no cell at all.
    """
    problems: dict[str, str] = {}
    filled = {name for name, value in values.items() if value and value.strip()}
    if kind != Guide.Kind.MEDICATION:
        nouns = {Guide.Kind.RESCUE.value: "an overdose-reversal guide"}
        what = nouns.get(kind, f"a {kind} page")
        for name in sorted(filled):
            problems[name] = (
                f"'{name}' is a cell of the comparison table, and {what} has no row there: "
                "leave it out"
            )
        return problems
    labels = dict(condition.columns)
    for name in ROW_FIELDS:
        if name in labels and name not in filled:
            problems[name] = (
                f"'{name}' is needed: the {condition.name} comparison table has a "
                f"'{labels[name]}' column"
            )
        elif name not in labels and name in filled:
            problems[name] = (
                f"'{name}': the {condition.name} comparison table has no such column; leave it out"
            )
    if "fda_detail" in filled and "fda_status" not in labels:
        problems["fda_detail"] = (
            f"'fda_detail': the {condition.name} comparison table has no FDA status column"
        )
    status = values.get("fda_status")
    if status and status not in Guide.FdaStatus.values:
        problems["fda_status"] = f"'fda_status' must be one of {', '.join(Guide.FdaStatus.values)}"
    for name in ROW_TEXT_FIELDS:
        if len(values.get(name) or "") > ROW_FIELD_MAX_LENGTH:
            problems[name] = (
                f"'{name}' is {len(values[name])} characters; a table cell holds at most "
                f"{ROW_FIELD_MAX_LENGTH}"
            )
    return problems


def comparison_page_problem(*, kind: str, body: str) -> str:
    """Why a comparison page's body cannot hold its table, or ''."""
    if (
        kind == Guide.Kind.COMPARISON
        and markup.split_after_heading(body, COMPARISON_TABLE_SECTION) is None
    ):
        return (
            f"A comparison page needs a '## {COMPARISON_TABLE_SECTION}' section: the "
            "comparison table is placed under that heading."
        )
    return ""


def comparison_document(condition: Condition, rows: list[Guide]) -> dict:
    """A condition's comparison table as a reader sees it (part of the comparison
    page's fingerprint): its columns and, per row, the link and each cell's markdown."""
    return {
        "columns": [list(column) for column in condition.columns],
        "rows": [
            {
                "slug": row.slug,
                "medication": row.medication,
                "fda_status": row.fda_status if "fda_status" in condition.column_fields else "",
                "cells": condition.row_markdown(row),
            }
            for row in rows
        ],
    }


class PageFAQ(models.Model):
    """A question and answer on a guide page: a guide's (FAQ) or a translation's
    (TranslationFAQ), each in a table of its own."""

    question = models.CharField(max_length=300)
    answer = models.TextField(help_text="Markdown; cite a source with [^key].")
    order = models.PositiveSmallIntegerField(default=0)
    # Stored by guide_render or translation_render with the page (citation numbers
    # run across the page).
    answer_html = models.TextField(blank=True, editable=False)
    answer_text = models.TextField(blank=True, editable=False)

    class Meta:
        abstract = True
        ordering = ["order", "pk"]

    def __str__(self):
        return self.question

    def clean(self):
        try:
            check_citations(self.answer)
        except ValidationError as error:
            raise ValidationError({"answer": error.messages}) from None


class FAQ(PageFAQ):
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="faqs")

    class Meta(PageFAQ.Meta):
        verbose_name = "FAQ"
        verbose_name_plural = "FAQs"
        indexes = [models.Index(fields=["guide", "order"], name="faq_guide_order_idx")]


class Citation(models.Model):
    """A source cited by a guide, with its number on that page (by first use)."""

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="citations")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    number = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["guide", "number"]
        constraints = [
            models.UniqueConstraint(fields=["guide", "source"], name="citation_once_per_guide"),
            models.UniqueConstraint(fields=["guide", "number"], name="citation_number_per_guide"),
        ]

    def __str__(self):
        return f"{self.guide_id} [{self.number}] {self.source_id}"

    @property
    def source_anchor(self) -> str:
        return markup.source_id(self.source.key)

    @property
    def first_citation_anchor(self) -> str:
        return markup.citation_id(self.source.key)


class GuideChange(models.Model):
    """One line of a guide's public change log, shown under "What changed".

    Recorded by education.services.guide_change_record (the guide admin asks for
    it when a published guide's content changes) or loaded from the shipped
    files' [[change]] tables: an entry without an author came from those files,
    and the loader keeps such entries equal to them.
    """

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="changes")
    date = models.DateField()
    summary = models.CharField(
        max_length=CHANGE_SUMMARY_MAX_LENGTH, help_text="One line, for readers."
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for an entry from the shipped files.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = "guide change"
        indexes = [models.Index(fields=["guide", "-date"], name="guide_change_date_idx")]

    def __str__(self):
        return f"{self.date}: {self.summary}"


class ReviewerProfile(models.Model):
    """How a medical reviewer is named on the pages they sign off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile"
    )
    display_name = models.CharField(
        max_length=200, help_text="Your name as readers see it, for example 'Jane Doe'."
    )
    credentials = models.CharField(
        max_length=200, help_text="Your degrees and certifications, for example 'MD, FASAM'."
    )

    class Meta:
        verbose_name = "reviewer profile"

    def __str__(self):
        return self.signature

    @property
    def signature(self) -> str:
        """'Jane Doe, MD, FASAM'."""
        return ", ".join(part for part in (self.display_name, self.credentials) if part)

    @property
    def is_complete(self) -> bool:
        return bool(self.display_name.strip() and self.credentials.strip())


def is_medical_reviewer(user) -> bool:
    """An active staff member of the Medical reviewers group holding its sign-off permission."""
    return bool(
        user.is_active
        and user.is_staff
        and user.has_perm(SIGN_OFF_PERMISSION)
        and user.groups.filter(name=REVIEWERS_GROUP).exists()
    )


class ReviewRecordError(Exception):
    """A medical review is a record: it is never changed or deleted."""


class MedicalReviewQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ReviewRecordError("A medical review is never changed.")

    def delete(self):
        raise ReviewRecordError("A medical review is never deleted.")


class MedicalReview(models.Model):
    """A reviewer's sign-off of exactly what a page showed readers at that moment: a
    guide's (GuideReview) or a translation's (TranslationReview), each in a table of
    its own.

    Made by education.services.guide_review_sign_off and translation_review_sign_off;
    kept as history, never changed or deleted. The reviewer's name and credentials
    are copied, so a later profile change does not rewrite who signed what. Each
    model has its own foreign keys (the page, named by page_field, and the reviewer),
    verbose name, permissions and indexes.
    """

    # The name of the model's foreign key to the page it reviews.
    page_field: ClassVar[str]

    reviewer_name = models.CharField(max_length=200)
    reviewer_credentials = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    fingerprint = models.CharField(max_length=64)

    objects = MedicalReviewQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-signed_at", "-pk"]

    def __str__(self):
        page_id = getattr(self, f"{self.page_field}_id")
        return f"Review of {self.page_field} {page_id} on {self.signed_on}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ReviewRecordError("A medical review is never changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ReviewRecordError("A medical review is never deleted.")

    @property
    def reviewer_display(self) -> str:
        """'Jane Doe, MD, FASAM', as signed."""
        return ", ".join(part for part in (self.reviewer_name, self.reviewer_credentials) if part)

    @property
    def signed_on(self) -> date:
        return timezone.localdate(self.signed_at)


class GuideReview(MedicalReview):
    """A reviewer's sign-off of exactly what a guide showed readers at that moment."""

    page_field = "guide"

    guide = models.ForeignKey(Guide, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="guide_reviews"
    )
    fingerprint = models.CharField(max_length=64, help_text="Guide.current_fingerprint() signed.")

    class Meta(MedicalReview.Meta):
        verbose_name = "medical review"
        permissions = [("sign_off_review", "Can sign off the medical review of a guide")]
        indexes = [models.Index(fields=["guide", "-signed_at"], name="review_guide_signed_idx")]


# What a reviewer approves of a testimonial (attribute names): a change withdraws the approval.
APPROVED_CONTENT = ("guide_id", "text", "attribution")
APPROVAL_FIELDS = ("approved", "approved_by", "approved_at")


def _content_written(field_names) -> tuple[str, ...]:
    """The approved-content attributes a save or update with these field names writes."""
    if field_names is None:
        return APPROVED_CONTENT
    names = set(field_names)
    return tuple(a for a in APPROVED_CONTENT if a in names or a.removesuffix("_id") in names)


# What decides whether and how a guide page shows a testimonial.
SHOWN_TESTIMONIAL_FIELDS = frozenset(
    ("guide", "guide_id", "text", "attribution", "approved", "consent_on_file")
)


def shown_testimonials(*guide_ids: int) -> dict[int, list[dict]]:
    """The testimonials each of these guides shows, text and initials, newest first."""
    shown: dict[int, list[dict]] = {pk: [] for pk in guide_ids}
    rows = Testimonial.objects.shown().filter(guide_id__in=shown).order_by("-created_at", "-pk")
    for guide_id, text, attribution in rows.values_list("guide_id", "text", "attribution"):
        shown[guide_id].append({"text": text, "attribution": attribution})
    return shown


def testimonials_store(guide_ids) -> None:
    """Copy the testimonials each of these guides shows onto its row,
    Guide.shown_testimonials, which its pages read instead of the testimonial rows,
    and move its pages' validators on."""
    ids = [pk for pk in guide_ids if pk is not None]
    if not ids:
        return
    now = timezone.now()
    for pk, testimonials in shown_testimonials(*ids).items():
        Guide.objects.filter(pk=pk).update(shown_testimonials=testimonials, updated_at=now)


class TestimonialQuerySet(models.QuerySet):
    def shown(self):
        """Only what a person agreed to share and staff approved."""
        return self.filter(consent_on_file=True, approved=True)

    def update(self, **kwargs):
        """Writing approved content withdraws the approval, unless the same update gives it.

        bulk_update() goes through here too; like any update() it sends no signal, so
        the testimonials the guides show are stored again here (testimonials_store)
        and the pages retired.
        """
        if _content_written(kwargs) and "approved_at" not in kwargs:
            kwargs |= {"approved": False, "approved_by": None, "approved_at": None}
        if not SHOWN_TESTIMONIAL_FIELDS.intersection(kwargs):
            return super().update(**kwargs)
        guides = set(self.values_list("guide_id", flat=True))
        count = super().update(**kwargs)
        moved_to = kwargs.get("guide_id", getattr(kwargs.get("guide"), "pk", None))
        if guides or moved_to:
            from education import page_cache

            testimonials_store(guides | {moved_to})
            page_cache.content_changed()
        return count


class Testimonial(models.Model):
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="testimonials")
    text = models.TextField(max_length=1000)
    attribution = models.CharField(
        max_length=12,
        validators=[RegexValidator(INITIALS_PATTERN, INITIALS_MESSAGE)],
        help_text="Initials only, for example 'J.M.'. Never a full name.",
    )
    consent_on_file = models.BooleanField(
        default=False, help_text="Signed consent to publish this text is on file."
    )
    approved = models.BooleanField(default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TestimonialQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("approve_testimonial", "Can approve a testimonial for publication")]
        indexes = [
            models.Index(
                fields=["guide", "approved", "consent_on_file"], name="testimonial_shown_idx"
            ),
            models.Index(fields=["approved", "consent_on_file"], name="testimonial_review_idx"),
        ]

    def __str__(self):
        return f"Testimonial #{self.pk}"

    def save(self, *args, **kwargs):
        """Save the row; a change to approved content withdraws the approval.

        The approval stays only if it was given with this change (approve() set a
        new approved_at). A move to another guide also stores again what the page it
        leaves shows.
        """
        update_fields = kwargs.get("update_fields")
        written = () if self._state.adding else _content_written(update_fields)
        stored = None
        if written:
            row = Testimonial._base_manager.filter(pk=self.pk)
            stored = row.values(*written, "approved", "approved_at").first()
        if (
            stored is not None
            and self.approved
            and stored["approved"]
            and stored["approved_at"] == self.approved_at
            and any(stored[name] != getattr(self, name) for name in written)
        ):
            self.withdraw_approval()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, *APPROVAL_FIELDS}
        super().save(*args, **kwargs)
        left = stored.get("guide_id") if stored else None
        if left is not None and left != self.guide_id:
            testimonials_store([left])  # its guide's, education.signals.testimonial_changed

    def clean(self):
        if self.approved and not self.consent_on_file:
            raise ValidationError({"approved": "Only a testimonial with consent on file."})

    def approve(self, *, by: "User") -> None:
        """Approve what the testimonial says now, as `by`; the caller saves it.

        Only a holder of the approve_testimonial permission (the Medical reviewers
        group) approves: anyone else gets PermissionDenied.
        """
        if not by.has_perm(APPROVE_TESTIMONIAL_PERMISSION):
            raise PermissionDenied("Only a medical reviewer can approve a testimonial.")
        self.approved, self.approved_by, self.approved_at = True, by, timezone.now()

    def withdraw_approval(self) -> None:
        """Take the testimonial off the page until a reviewer approves it again."""
        self.approved, self.approved_by, self.approved_at = False, None, None


# --- Translations: a guide in another language, its own content and review -----------

# The languages a guide may be translated into (the site's others than English).
TRANSLATION_LANGUAGES = (("es", "Spanish"),)
# What a translation holds of its guide; the rest (slug, condition, kind, FDA
# status, related guides, position) is the English guide's.
TRANSLATED_FIELDS = (
    "title",
    "medication",
    "description",
    "summary",
    "overdose_signs",
    "body",
    *ROW_TEXT_FIELDS,
)
TRANSLATION_FINGERPRINT_VERSION = 1
DESCRIPTION_MAX_LENGTH = 160


def translation_fingerprint(
    *,
    language: str,
    fields: dict,
    english: dict,
    faqs: list[tuple[str, str]],
    sources: list[dict],
    table: dict | None = None,
) -> str:
    """SHA-256 of a canonical JSON of what a reader sees of a translated guide.

    fields: TRANSLATED_FIELDS' values; english: what the page shows of the English
    guide (kind, condition, FDA status) and the English fingerprint the translation
    was made from (source_fingerprint: a re-stamped translation is a new version to
    review, since the reviewer checks it against the English text); faqs and sources
    as content_fingerprint's; table: a comparison page's table as the page shows it.
    """
    document = {
        "version": TRANSLATION_FINGERPRINT_VERSION,
        "language": language,
        "fields": {name: fields[name] for name in TRANSLATED_FIELDS},
        "english": english,
        **({"table": table} if table is not None else {}),
        "faqs": [{"question": question, "answer": answer} for question, answer in faqs],
        "sources": sorted(
            ({name: source[name] for name in FINGERPRINTED_SOURCE_FIELDS} for source in sources),
            key=lambda source: source["key"],
        ),
    }
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class GuideTranslationQuerySet(ReviewedQuerySet):
    def published(self):
        """Translations a reader sees: published, of a published guide."""
        return self.filter(
            status=GuideTranslation.Status.PUBLISHED, guide__status=Guide.Status.PUBLISHED
        )


class GuideTranslation(GuidePage):
    """A guide in another language: its own text, FAQ, change log and medical review.

    Loaded from education/content/guides/<language>/<slug>.md or edited in the admin,
    rendered by education.services.translation_render like the English guide (the
    page reads the stored HTML). source_fingerprint is the English guide's
    content_fingerprint the translation was made from: while the English guide's
    differs, the English changed after the translation and its page says so. The
    English guide's review never covers a translation: a reviewer signs it off on
    its own (TranslationReview).
    """

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=8, choices=TRANSLATION_LANGUAGES, default="es")
    fda_detail = models.CharField(
        "FDA status, in words", max_length=ROW_FIELD_MAX_LENGTH, blank=True
    )
    mechanism = models.CharField("how it works", max_length=ROW_FIELD_MAX_LENGTH, blank=True)
    where_to_get = models.CharField("where you get it", max_length=ROW_FIELD_MAX_LENGTH, blank=True)
    how_often = models.CharField(max_length=ROW_FIELD_MAX_LENGTH, blank=True)
    key_caution = models.CharField(max_length=ROW_FIELD_MAX_LENGTH, blank=True)
    evidence = models.CharField(
        "what the research shows", max_length=ROW_FIELD_MAX_LENGTH, blank=True
    )
    body = models.TextField(help_text="Markdown, with the language's required '##' sections.")
    overdose_signs = models.TextField("signs of overdose", blank=True)
    source_fingerprint = models.CharField(
        "English version translated",
        max_length=64,
        blank=True,
        help_text="The English guide's content fingerprint this translation was made from "
        "(manage.py stamp_translations writes it into the files).",
    )
    last_review = models.ForeignKey(
        "TranslationReview",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    objects = GuideTranslationQuerySet.as_manager()

    class Meta:
        ordering = ["guide__order", "guide__title", "language"]
        verbose_name = "guide translation"
        constraints = [
            models.UniqueConstraint(
                fields=["guide", "language"], name="translation_once_per_language"
            )
        ]

    def __str__(self):
        return f"{self.title} ({self.language})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # The guide's pages and the guide list show it: move their validators on.
        Guide.objects.filter(pk=self.guide_id).update(updated_at=timezone.now())

    def get_absolute_url(self):
        with translation.override(self.language):
            return reverse("education:guide-detail", args=[self.guide.slug])

    def clean(self):
        errors = self.citation_errors()
        if len(self.description) > DESCRIPTION_MAX_LENGTH:
            errors["description"] = [f"Keep it under {DESCRIPTION_MAX_LENGTH} characters."]
        if self.guide_id:
            values = {**self.row_values(), "fda_status": self.guide.fda_status}
            for name, message in row_problems(
                kind=self.guide.kind, condition=self.guide.condition, values=values
            ).items():
                errors.setdefault(name, []).append(message)
        if errors:
            raise ValidationError(errors)

    def row_values(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in ROW_TEXT_FIELDS}

    @property
    def is_outdated(self) -> bool:
        """The English guide changed after this translation was made from it (or
        nothing says which English version it was made from)."""
        return self.source_fingerprint != self.guide.content_fingerprint

    def current_fingerprint(self, faqs: list[tuple[str, str]] | None = None) -> str:
        """The fingerprint of what a reader sees of the translation now."""
        if faqs is None:
            faqs = [
                (faq.question, faq.answer)
                for faq in TranslationFAQ.objects.filter(translation_id=self.pk)
            ]
        guide = self.guide
        texts = [self.summary, self.overdose_signs, self.body, *(answer for _, answer in faqs)]
        table = None
        if guide.is_comparison:
            table = translated_comparison_document(guide.condition, self.language)
            texts += [cell for row in table["rows"] for cell in row["cells"]]
        keys = {key for text in texts for key in markup.cited_keys(text)}
        sources = list(Source.objects.filter(key__in=keys).values(*FINGERPRINTED_SOURCE_FIELDS))
        english = {
            "kind": guide.kind,
            "condition": guide.condition.slug,
            "fda_status": guide.fda_status,
            "source_fingerprint": self.source_fingerprint,
        }
        return translation_fingerprint(
            language=self.language,
            fields={name: getattr(self, name) for name in TRANSLATED_FIELDS},
            english=english,
            faqs=faqs,
            sources=sources,
            table=table,
        )

    def refresh_content_fingerprint(self) -> bool:
        """GuidePage's; the English guide's pages show the translation's state too."""
        changed = super().refresh_content_fingerprint()
        if changed:
            Guide.objects.filter(pk=self.guide_id).update(updated_at=timezone.now())
        return changed

    @property
    def review_is_current(self) -> bool:
        """Whether the page may claim the last review: the review matches the text,
        and the text still translates the English guide as it reads now."""
        return not self.is_outdated and super().review_is_current


def translated_comparison_document(condition: Condition, language: str) -> dict:
    """A condition's comparison table as a translated comparison page shows it: each
    row's cells from its published translation, the English ones where it has none."""
    rows = list(Guide.objects.table_rows(condition))
    translations = {
        t.guide_id: t
        for t in GuideTranslation.objects.filter(
            guide__in=rows, language=language, status=GuideTranslation.Status.PUBLISHED
        )
    }
    labels = condition.text_in(language).columns
    document_rows = []
    for row in rows:
        text = translations.get(row.pk)
        source = text if text is not None else row
        document_rows.append(
            {
                "slug": row.slug,
                "medication": source.medication,
                "language": language if text is not None else "en",
                "fda_status": row.fda_status if "fda_status" in condition.column_fields else "",
                "cells": [
                    source.fda_detail if name == "fda_status" else getattr(source, name)
                    for name in condition.column_fields
                ],
            }
        )
    return {"columns": [list(column) for column in labels], "rows": document_rows}


class TranslationFAQ(PageFAQ):
    translation = models.ForeignKey(GuideTranslation, on_delete=models.CASCADE, related_name="faqs")

    class Meta(PageFAQ.Meta):
        verbose_name = "translated FAQ"
        verbose_name_plural = "translated FAQs"


class TranslationChange(models.Model):
    """One line of a translation's public change log (its page's "Qué cambió")."""

    translation = models.ForeignKey(
        GuideTranslation, on_delete=models.CASCADE, related_name="changes"
    )
    date = models.DateField()
    summary = models.CharField(max_length=CHANGE_SUMMARY_MAX_LENGTH)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for an entry from the shipped files.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = "translation change"

    def __str__(self):
        return f"{self.date}: {self.summary}"


class TranslationReview(MedicalReview):
    """A reviewer's sign-off of exactly what a translation showed readers, a record
    of its own like GuideReview (the same permission signs it)."""

    page_field = "translation"

    translation = models.ForeignKey(
        GuideTranslation, on_delete=models.PROTECT, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="translation_reviews"
    )

    class Meta(MedicalReview.Meta):
        verbose_name = "translation medical review"
