"""Multi-step writes of the education app."""

import http.client
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import override as translation_override

from education import comparison, editions, markup, seo
from education.loader import Content, GuideEntry, TranslationEntry
from education.models import (
    CHANGE_SUMMARY_MAX_LENGTH,
    COMPARISON_TABLE_SECTION,
    EDITORS_GROUP,
    FAQ,
    ROW_TEXT_FIELDS,
    TRANSLATED_TABLE_SECTIONS,
    Citation,
    Condition,
    Guide,
    GuideChange,
    GuideReview,
    GuideTranslation,
    MedicalReview,
    ReviewerProfile,
    Source,
    TranslationChange,
    TranslationFAQ,
    TranslationReview,
    check_citations,
    is_medical_reviewer,
    known_source_keys,
    unknown_keys_message,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import QuerySet

NOT_A_REVIEWER = "Only a medical reviewer can sign off the review of a guide."
NO_PROFILE = (
    "Add your display name and credentials to your reviewer profile first: the page "
    "names the reviewer with them."
)
CHANGED_WHILE_READING = (
    "The guide changed after you opened it: read it again before you sign off the review."
)
CHANGE_SUMMARY_REQUIRED = "Say in one line what changed for readers."
CHANGE_SUMMARY_TOO_LONG = f"Keep it to one line of at most {CHANGE_SUMMARY_MAX_LENGTH} characters."

logger = logging.getLogger(__name__)

# The kind of review record a sign-off makes (GuideReview or TranslationReview).
ReviewT = TypeVar("ReviewT", bound=MedicalReview)


@dataclass
class LoadReport:
    sources_created: int = 0
    sources_updated: int = 0
    guides_created: int = 0
    guides_updated: int = 0
    unchanged: int = 0
    drafts: list[str] = field(default_factory=list)
    translations_created: int = 0
    translations_updated: int = 0
    translations_unchanged: int = 0
    # Translations made from another English version than the guide's now
    # (or never stamped): "<language>/<slug>".
    outdated: list[str] = field(default_factory=list)


@transaction.atomic
def guide_render(*, guide: Guide) -> Guide:
    """Render the guide's summary, signs of overdose, body and FAQ answers once and save.

    Call it after the guide's FAQs are saved: citation numbers run across the page
    in reading order. It stores what _page_render does, in English, and moves on the
    validators of the pages that list the guide as related. An unknown citation key
    raises ValidationError before anything is written.
    """
    if not guide.condition_id:
        guide.condition = Condition.objects.default()
    # A comparison page shows its condition's table under COMPARISON_TABLE_SECTION,
    # its cells cited with the page's own numbers (education.comparison).
    rows = list(Guide.objects.table_rows(guide.condition)) if guide.is_comparison else []
    citations = _page_render(
        page=guide,
        guide=guide,
        language="en",
        faqs=list(FAQ.objects.filter(guide=guide)) if guide.pk else [],
        faq_model=FAQ,
        cells=[guide.condition.row_markdown(row) for row in rows],
        table_section=COMPARISON_TABLE_SECTION,
        table=lambda cells_html: comparison.comparison_table(guide.condition, rows, cells_html),
    )
    guide.citations.all().delete()
    Citation.objects.bulk_create(citations)
    # Pages that list this guide as related show its title and status.
    Guide.objects.filter(related=guide).exclude(pk=guide.pk).update(updated_at=guide.updated_at)
    return guide


def _page_render(
    *,
    page: Guide | GuideTranslation,
    guide: Guide,
    language: str,
    faqs: list,
    faq_model: type[FAQ] | type[TranslationFAQ],
    cells: list[list[str]],
    table_section: str,
    table: Callable[[list[list[str]]], comparison.Table],
) -> list[Citation]:
    """What guide_render and translation_render share: render the page's markdown (its
    summary, signs of overdose, body, FAQ answers and, on a comparison page, its
    table's cells) in `language` and save the page with what the render stores: the
    HTML, the table of contents, each answer's HTML and text, the FAQ, Sources and
    Related medications sections with their JSON-LD (faqs_render, sources_render,
    related_render), the sections no request changes (sections_render) and the
    content fingerprint. The page's citations, numbered in reading order, are
    returned for the English guide's page to keep (a translation numbers its own).

    page: the guide, or its translation; faqs: the page's in page order; cells: a
    comparison page's table cells' markdown, by row; table: makes the table shown
    under its '##' section table_section from the cells' rendered HTML.
    """
    answers = [faq.answer for faq in faqs]
    check_citations(*(getattr(page, name) for name in ROW_TEXT_FIELDS))
    sources = known_source_keys(
        page.summary, page.overdose_signs, page.body, *answers, *(c for r in cells for c in r)
    )
    rendered = markup.render_guide(
        summary=page.summary_items,
        overdose_signs=page.overdose_signs,
        body=page.body,
        faq_answers=answers,
        known_keys=sources,
        table_after=table_section if guide.is_comparison else "",
        table_cells=cells,
    )
    if rendered.unknown_keys:
        raise ValidationError(unknown_keys_message(rendered.unknown_keys))
    page.summary_html = rendered.summary_html
    page.overdose_signs_html = rendered.overdose_signs_html
    page.body_html = rendered.body_html
    if guide.is_comparison:
        with translation_override(language):
            page.body_html += (
                comparison.table_html(table(rendered.table_html)) + rendered.body_after_table_html
            )
    page.row_html = {
        name: markup.plain_inline_html(value)
        for name in ROW_TEXT_FIELDS
        if (value := getattr(page, name)) and guide.is_medication
    }
    page.toc = rendered.toc
    page.content_fingerprint = page.current_fingerprint(
        faqs=[(faq.question, faq.answer) for faq in faqs]
    )
    for faq, answer_html, answer_text in zip(
        faqs, rendered.faq_html, rendered.faq_text, strict=True
    ):
        faq.answer_html, faq.answer_text = answer_html, answer_text
    cited = Source.objects.in_bulk(rendered.cited_keys, field_name="key")
    citations = [
        Citation(guide=guide, source=cited[key], number=number)
        for number, key in enumerate(rendered.cited_keys, start=1)
    ]
    page.faqs_html, faqs_json_ld = faqs_render(faqs=faqs, language=language)
    page.sources_html, sources_json_ld = sources_render(citations=citations, language=language)
    page.related_html = related_render(guide=guide, language=language)
    page.json_ld_parts = {"faq": faqs_json_ld, "citation": sources_json_ld}
    changes = list(page.changes.all()) if page.pk else []
    for name, value in sections_render(page=_shown(page), changes=changes).items():
        setattr(page, name, value)
    page.save()
    faq_model.objects.bulk_update(faqs, ["answer_html", "answer_text"])
    return citations


def _shown(page: Guide | GuideTranslation) -> "Guide | editions.GuideEdition":
    """What a page in the language of `page` reads: the guide, or its translation over it."""
    if isinstance(page, GuideTranslation):
        return editions.GuideEdition(page.guide, page)
    return page


def sections_render(*, page: "Guide | editions.GuideEdition", changes: list) -> dict[str, Any]:
    """The sections of a guide page that no request changes, rendered in the language
    of `page` (the guide, or a GuideEdition of its translation) from its stored HTML,
    its condition and its change log (`changes`, newest first): the values of
    GuidePage's takeaways_html, emergency_html (both boxes), toc_html, changes_html
    and first_change_on. A page shown in another language than its text (a guide not
    translated yet) renders the same templates itself (education/guide_detail.html)."""
    language = getattr(page, "language", "en")
    context = {
        "guide": page,
        "translation": getattr(page, "translation", None),
        "EN_CONTENT": "",  # the text is in the page's language
        "changes": changes,
    }
    signs = page.overdose_signs_html

    def section(name: str, **more) -> str:
        return render_to_string(f"education/includes/{name}.html", context | more)

    with translation_override(language):
        return {
            "takeaways_html": section("takeaways"),
            "emergency_html": [
                section("emergency", box_id="emergency", signs_html=signs[0] if signs else ""),
                section(
                    "emergency",
                    box_id="emergency-again",
                    box_name=gettext("In an emergency, again"),
                    signs_html=signs[1] if len(signs) > 1 else "",
                ),
            ],
            "toc_html": section("toc"),
            "changes_html": section("changes"),
            "first_change_on": min((change.date for change in changes), default=None),
        }


def pages_sections_refresh(*, guides=None, translations=None) -> None:
    """Render again the stored sections (sections_render) of the guides and the
    translations in these querysets: their change log or their condition changed.
    Written with update(), moving their pages' validators on; the change that called
    this retires the stored pages."""
    now = timezone.now()
    if guides is not None:
        for guide in guides.select_related("condition"):
            sections = sections_render(page=guide, changes=list(guide.changes.all()))
            Guide.objects.filter(pk=guide.pk).update(**sections, updated_at=now)
    if translations is not None:
        for text in translations.select_related("guide__condition"):
            sections = sections_render(page=_shown(text), changes=list(text.changes.all()))
            GuideTranslation.objects.filter(pk=text.pk).update(**sections, updated_at=now)
            Guide.objects.filter(pk=text.guide_id).update(updated_at=now)


def faqs_render(*, faqs, language: str = "en") -> tuple[str, list[dict]]:
    """A guide page's FAQ section and its JSON-LD questions, from its FAQs (or a
    translation's) in page order, their answers rendered, in `language`: what
    guide_render and translation_render store (faqs_html and json_ld_parts), so a
    request reads them ready."""
    if not faqs:
        return "", []
    with translation_override(language):
        html = render_to_string("education/includes/faqs.html", {"faqs": faqs})
    return html.strip(), [seo.question_structured_data(faq) for faq in faqs]


def sources_render(*, citations, language: str = "en") -> tuple[str, list[dict]]:
    """A guide page's Sources section and its JSON-LD citation list, from its
    citations in number order, each with its source, in `language` (a title in
    another language is marked with its own): what guide_render and
    translation_render store (sources_html and json_ld_parts)."""
    if not citations:
        return "", []
    with translation_override(language):
        html = render_to_string("education/includes/sources.html", {"citations": citations})
    return html.strip(), [seo.citation_structured_data(c.source) for c in citations]


@transaction.atomic
def guide_sources_refresh(*, source: Source) -> None:
    """Render again the Sources section of every guide citing `source` (its entry
    changed). Written with update(): the source's own save moves the pages'
    validators and retires the stored pages."""
    citing = Citation.objects.filter(source=source).values("guide_id")
    for guide in Guide.objects.select_for_update().filter(pk__in=citing):
        citations = list(guide.citations.select_related("source").order_by("number"))
        html, data = sources_render(citations=citations)
        parts = {**guide.json_ld_parts, "citation": data}
        Guide.objects.filter(pk=guide.pk).update(sources_html=html, json_ld_parts=parts)
    # A translation numbers its citations itself: render those citing it again.
    for text in GuideTranslation.objects.select_related("guide__condition"):
        if source.key in {key for t in translation_texts(text) for key in markup.cited_keys(t)}:
            translation_render(translation=text)


def related_section(*, related: list[Guide], condition_id: int | None, language: str = "en") -> str:
    """The Related medications section listing `related` (published guides, each
    with its condition) in `language`: those of `condition_id`, the page's own,
    first. On a translated page a listed guide is named by its published
    translation, or in English, marked so, without one; the links are the page's
    language's."""
    if not related:
        return ""
    related = sorted(related, key=lambda other: other.condition_id != condition_id)
    translated = {}
    if language != "en":
        translated = {
            t.guide_id: t
            for t in GuideTranslation.objects.filter(
                guide__in=related, language=language, status=GuideTranslation.Status.PUBLISHED
            )
        }
    entries = []
    with translation_override(language):
        for other in related:
            text = translated.get(other.pk)
            edition = editions.GuideEdition(other, text) if text is not None else other
            entries.append(
                {
                    "url": reverse("education:guide-detail", args=[other.slug]),
                    "name": edition.title if other.is_comparison else edition.medication,
                    "status": editions.fda_status_in_sentence(other, language)
                    if text is not None or language == "en"
                    else other.fda_status_in_sentence,
                    "lang": "en" if language != "en" and text is None else "",
                }
            )
        html = render_to_string("education/includes/related.html", {"related": entries})
    return html.strip()


def related_render(*, guide: Guide, language: str = "en") -> str:
    """A guide page's Related medications section, from the published guides it lists
    as they are now, in `language`: what guide_render stores (Guide.related_html),
    and translation_render (GuideTranslation.related_html)."""
    if not guide.pk:  # not saved yet: it lists nothing
        return ""
    related = guide.related.published().select_related("condition")
    return related_section(
        related=list(related), condition_id=guide.condition_id, language=language
    )


def guides_related_refresh(*, guides) -> None:
    """Render again the Related medications section of each of `guides` (a guide it
    lists, or the list itself, changed), and of its translations, moving its page's
    validators on. Written with update(): the change that called this retires the
    stored pages."""
    now = timezone.now()
    for guide in guides:
        Guide.objects.filter(pk=guide.pk).update(
            related_html=related_render(guide=guide), updated_at=now
        )
        for language in GuideTranslation.objects.filter(guide=guide).values_list(
            "language", flat=True
        ):
            GuideTranslation.objects.filter(guide=guide, language=language).update(
                related_html=related_render(guide=guide, language=language), updated_at=now
            )


def comparison_pages_refresh() -> list[Guide]:
    """Render again each comparison page whose table no longer shows its rows as they
    are (a medication of its condition changed, was published, withdrawn, moved or
    deleted, or the condition's columns changed); the pages rendered.

    The page's fingerprint covers its table (Guide.current_fingerprint), so one that
    differs from the stored one is out of date, and its review, if any, no longer
    covers what it shows. Connected to the saves and deletes of guides and conditions
    (education.signals).
    """
    refreshed = []
    for page in Guide.objects.filter(kind=Guide.Kind.COMPARISON).select_related("condition"):
        if page.current_fingerprint() != page.content_fingerprint:
            refreshed.append(guide_render(guide=page))
    translated_comparison_pages_refresh()
    return refreshed


def translated_comparison_pages_refresh() -> list[GuideTranslation]:
    """Render again each translated comparison page whose table no longer shows its
    rows as they are (a row's translation or English guide changed)."""
    refreshed = []
    pages = GuideTranslation.objects.filter(guide__kind=Guide.Kind.COMPARISON).select_related(
        "guide__condition"
    )
    for page in pages:
        if page.current_fingerprint() != page.content_fingerprint:
            refreshed.append(translation_render(translation=page))
    return refreshed


def translation_texts(text: GuideTranslation, faqs=None) -> list[str]:
    """The markdown of a translation that may cite sources (its comparison table's
    cells aside)."""
    if faqs is None:
        faqs = list(text.faqs.all()) if text.pk else []
    return [
        text.summary,
        text.overdose_signs,
        text.body,
        *(faq.answer for faq in faqs),
        *text.row_values().values(),
    ]


def translated_table_rows(condition: Condition, language: str) -> list[tuple[Guide, Any, str]]:
    """The rows of a condition's comparison table on a page in `language`: each
    medication with what the page shows of it (its published translation, else the
    English guide) and the language of its cells ('' when the page's)."""
    rows = list(Guide.objects.table_rows(condition).select_related("condition"))
    translated = {
        t.guide_id: t
        for t in GuideTranslation.objects.filter(
            guide__in=rows, language=language, status=GuideTranslation.Status.PUBLISHED
        )
    }
    shown: list[tuple[Guide, Any, str]] = []
    for row in rows:
        text = translated.get(row.pk)
        if text is not None:
            shown.append((row, editions.GuideEdition(row, text), ""))
        else:
            shown.append((row, row, "en"))
    return shown


@transaction.atomic
def translation_render(*, translation: GuideTranslation) -> GuideTranslation:
    """Render a translation's summary, signs of overdose, body and FAQ answers once,
    in its language, and save, as guide_render does for the English guide: it stores
    the HTML, the table of contents, each answer's HTML and text, the FAQ, Sources
    and Related medications sections and their JSON-LD, and its fingerprint. A
    translated comparison page shows its condition's table with each row's
    translated cells (the English ones, marked, for a row not translated). An
    unknown citation key raises ValidationError before anything is written."""
    text = translation
    guide = text.guide
    language = text.language
    condition_text = guide.condition.text_in(language)
    rows = translated_table_rows(guide.condition, language) if guide.is_comparison else []
    _page_render(
        page=text,
        guide=guide,
        language=language,
        faqs=list(TranslationFAQ.objects.filter(translation=text)) if text.pk else [],
        faq_model=TranslationFAQ,
        cells=[
            [
                shown.fda_detail if name == "fda_status" else getattr(shown, name)
                for name in guide.condition.column_fields
            ]
            for _, shown, _ in rows
        ],
        table_section=TRANSLATED_TABLE_SECTIONS.get(language, COMPARISON_TABLE_SECTION),
        table=lambda cells_html: comparison.comparison_table(
            condition_text,
            [shown for _, shown, _ in rows],
            cells_html,
            row_langs=[lang for _, _, lang in rows],
            labels_lang="" if condition_text.lang == language else condition_text.lang,
        ),
    )
    # The translated pages that list this guide as related, or show its row in a table.
    for other in GuideTranslation.objects.filter(guide__related=guide, language=language).exclude(
        guide=guide
    ):
        GuideTranslation.objects.filter(pk=other.pk).update(
            related_html=related_render(guide=other.guide, language=language),
            updated_at=timezone.now(),
        )
    if guide.is_medication:
        for page in GuideTranslation.objects.filter(
            guide__kind=Guide.Kind.COMPARISON, guide__condition=guide.condition, language=language
        ).select_related("guide__condition"):
            if page.current_fingerprint() != page.content_fingerprint:
                translation_render(translation=page)
    return text


def _review_sign_off(
    *,
    rows: "QuerySet[Guide] | QuerySet[GuideTranslation]",
    pk: int,
    review_model: type[ReviewT],
    reviewer: "User",
    seen_fingerprint: str | None,
    moves_updated_at: bool,
) -> ReviewT:
    """The steps every sign-off takes: refuse someone who is not a medical reviewer
    (PermissionDenied) or has no complete profile (ValidationError); lock the page
    (row pk of `rows`) and compute its fingerprint from the rows, refusing one that
    differs from seen_fingerprint when given (ValidationError); record the review
    with the profile's name and credentials, and store it as the page's last_review
    with the fingerprint (and a new updated_at when moves_updated_at)."""
    if not is_medical_reviewer(reviewer):
        raise PermissionDenied(NOT_A_REVIEWER)
    profile = ReviewerProfile.objects.filter(user=reviewer).first()
    if profile is None or not profile.is_complete:
        raise ValidationError(NO_PROFILE)
    page = rows.select_for_update().get(pk=pk)
    fingerprint = page.current_fingerprint()
    if seen_fingerprint is not None and seen_fingerprint != fingerprint:
        raise ValidationError(CHANGED_WHILE_READING)
    # Each kind of record has foreign keys of its own: to its page and to the reviewer.
    signers = {review_model.page_field: page, "reviewer": reviewer}
    review = review_model(
        **signers,
        reviewer_name=profile.display_name.strip(),
        reviewer_credentials=profile.credentials.strip(),
        signed_at=timezone.now(),
        fingerprint=fingerprint,
    )
    review.save()
    moved = {"updated_at": timezone.now()} if moves_updated_at else {}
    type(page)._default_manager.filter(pk=page.pk).update(
        last_review=review, content_fingerprint=fingerprint, **moved
    )
    return review


@transaction.atomic
def translation_review_sign_off(
    *, translation: GuideTranslation, reviewer: "User", seen_fingerprint: str | None = None
) -> TranslationReview:
    """Record `reviewer`'s sign-off of the translation as it reads now: the same
    rules as guide_review_sign_off (a medical reviewer with a complete profile, the
    text unchanged since it was shown), a record of its own. The English guide's
    review is untouched, and never covers the translation."""
    review = _review_sign_off(
        rows=GuideTranslation.objects.select_related("guide__condition"),
        pk=translation.pk,
        review_model=TranslationReview,
        reviewer=reviewer,
        seen_fingerprint=seen_fingerprint,
        moves_updated_at=True,
    )
    Guide.objects.filter(pk=review.translation.guide_id).update(updated_at=timezone.now())
    return review


@transaction.atomic
def translation_change_record(
    *, translation: GuideTranslation, summary: str, author: "User | None", on: date | None = None
) -> TranslationChange:
    """Add a line to the translation's public change log, as guide_change_record."""
    if "\n" in summary.strip():
        raise ValidationError(CHANGE_SUMMARY_TOO_LONG)
    summary = " ".join(summary.split())
    if not summary:
        raise ValidationError(CHANGE_SUMMARY_REQUIRED)
    if len(summary) > CHANGE_SUMMARY_MAX_LENGTH:
        raise ValidationError(CHANGE_SUMMARY_TOO_LONG)
    on = on or timezone.localdate()
    change = TranslationChange.objects.create(
        translation=translation, date=on, summary=summary, author=author
    )
    if translation.content_updated_on is None or on > translation.content_updated_on:
        translation.content_updated_on = on
    translation.save(update_fields=["content_updated_on"])
    return change


@transaction.atomic
def guide_review_sign_off(
    *, guide: Guide, reviewer: "User", seen_fingerprint: str | None = None
) -> GuideReview:
    """Record `reviewer`'s sign-off of the guide as it reads now.

    The fingerprint is computed from the rows, not taken from the stored one;
    seen_fingerprint, when given, is the one shown to the reviewer, and a guide
    that changed since then is refused (ValidationError). Someone who is not a
    medical reviewer is refused with PermissionDenied, a reviewer without a
    complete profile with ValidationError.
    """
    # The page's own validators include the review (education.views): its
    # updated_at stays.
    return _review_sign_off(
        rows=Guide.objects.all(),
        pk=guide.pk,
        review_model=GuideReview,
        reviewer=reviewer,
        seen_fingerprint=seen_fingerprint,
        moves_updated_at=False,
    )


@transaction.atomic
def guide_change_record(
    *, guide: Guide, summary: str, author: "User | None", on: date | None = None
) -> GuideChange:
    """Add a line to the guide's public change log ("What changed" on its page).

    The entry is dated `on` (today by default), and the guide's content_updated_on
    moves to that date when it is newer. The guide row is saved, so the page's
    validators move on and the stored pages are retired. A blank or multi-line
    summary, or one over CHANGE_SUMMARY_MAX_LENGTH characters, is refused with
    ValidationError.
    """
    if "\n" in summary.strip():
        raise ValidationError(CHANGE_SUMMARY_TOO_LONG)
    summary = " ".join(summary.split())
    if not summary:
        raise ValidationError(CHANGE_SUMMARY_REQUIRED)
    if len(summary) > CHANGE_SUMMARY_MAX_LENGTH:
        raise ValidationError(CHANGE_SUMMARY_TOO_LONG)
    on = on or timezone.localdate()
    change = GuideChange.objects.create(guide=guide, date=on, summary=summary, author=author)
    if guide.content_updated_on is None or on > guide.content_updated_on:
        guide.content_updated_on = on
    guide.save(update_fields=["content_updated_on"])
    return change


def _changed(instance, values: dict) -> bool:
    return any(getattr(instance, name) != value for name, value in values.items())


def _shipped_changes_of(guide: Guide) -> list[tuple[date, str]]:
    """The guide's change-log entries that came from the shipped files (no author)."""
    return sorted(guide.changes.filter(author__isnull=True).values_list("date", "summary"))


def _content_updated_on(guide: Guide, entry: GuideEntry) -> date | None:
    """The newest date of the file's change log and the entries staff recorded."""
    dates = [on for on, _ in entry.changes]
    if guide.pk:
        dates += guide.changes.filter(author__isnull=False).values_list("date", flat=True)
    return max(dates, default=None)


def _faqs_of(guide: Guide) -> list[tuple[str, str]]:
    return [(faq.question, faq.answer) for faq in guide.faqs.all()]


def _guide_load(entry: GuideEntry, report: LoadReport) -> Guide:
    values = {**entry.values, "condition": Condition.objects.named(entry.values["condition"])}
    existing = Guide.objects.filter(slug=entry.slug).first()
    created = existing is None
    if existing is None:
        guide = Guide(**values)
    elif (
        not _changed(existing, values)
        and _faqs_of(existing) == entry.faqs
        and _shipped_changes_of(existing) == sorted(entry.changes)
    ):
        report.unchanged += 1
        return existing
    else:
        guide = existing
        for name, value in values.items():
            setattr(guide, name, value)
    if (_faqs_of(guide) if guide.pk else []) != entry.faqs:
        if created:
            guide.save()  # the FAQs refer to its row
        guide.faqs.all().delete()
        FAQ.objects.bulk_create(
            FAQ(guide=guide, question=question, answer=answer, order=order)
            for order, (question, answer) in enumerate(entry.faqs, start=1)
        )
    # "Updated on" is the file's newest change, never the day of the load.
    guide.content_updated_on = _content_updated_on(guide, entry) or guide.content_updated_on
    guide_render(guide=guide)
    if _shipped_changes_of(guide) != sorted(entry.changes):
        guide.changes.filter(author__isnull=True).delete()
        GuideChange.objects.bulk_create(
            GuideChange(guide=guide, date=on, summary=summary) for on, summary in entry.changes
        )
        # bulk_create() sends no signal: the page's change log is rendered again here.
        pages_sections_refresh(guides=Guide.objects.filter(pk=guide.pk))
    if created:
        report.guides_created += 1
    else:
        report.guides_updated += 1
    return guide


def _translation_changes_of(text: GuideTranslation) -> list[tuple[date, str]]:
    return sorted(text.changes.filter(author__isnull=True).values_list("date", "summary"))


def _translation_load(entry: TranslationEntry, report: LoadReport) -> GuideTranslation:
    """Create or update a guide's translation from its file, by guide and language."""
    guide = Guide.objects.select_related("condition").get(slug=entry.translation_of)
    text = GuideTranslation.objects.filter(guide=guide, language=entry.language).first()
    created = text is None
    if text is not None and (
        not _changed(text, entry.values)
        and [(f.question, f.answer) for f in text.faqs.all()] == entry.faqs
        and _translation_changes_of(text) == sorted(entry.changes)
    ):
        report.translations_unchanged += 1
        return text
    if text is None:
        text = GuideTranslation(guide=guide, language=entry.language, **entry.values)
        text.save()
    else:
        for name, value in entry.values.items():
            setattr(text, name, value)
    text.guide = guide
    if [(f.question, f.answer) for f in text.faqs.all()] != entry.faqs:
        text.faqs.all().delete()
        TranslationFAQ.objects.bulk_create(
            TranslationFAQ(translation=text, question=question, answer=answer, order=order)
            for order, (question, answer) in enumerate(entry.faqs, start=1)
        )
    dates = [on for on, _ in entry.changes]
    dates += text.changes.filter(author__isnull=False).values_list("date", flat=True)
    text.content_updated_on = max(dates, default=None) or text.content_updated_on
    translation_render(translation=text)
    if _translation_changes_of(text) != sorted(entry.changes):
        text.changes.filter(author__isnull=True).delete()
        TranslationChange.objects.bulk_create(
            TranslationChange(translation=text, date=on, summary=summary)
            for on, summary in entry.changes
        )
        pages_sections_refresh(translations=GuideTranslation.objects.filter(pk=text.pk))
    if created:
        report.translations_created += 1
    else:
        report.translations_updated += 1
    return text


@transaction.atomic
def content_load(*, content: Content) -> LoadReport:
    """Create or update sources by key, conditions by slug, then guides by slug,
    then related links.

    Running it again with the same files changes nothing (timestamps included, so
    cached pages stay valid); a changed file updates its rows in place.
    """
    report = LoadReport()
    for condition_entry in content.conditions:
        condition = Condition.objects.filter(slug=condition_entry.slug).first()
        if condition is None:
            Condition.objects.create(slug=condition_entry.slug, **condition_entry.values)
        elif _changed(condition, condition_entry.values):
            for name, value in condition_entry.values.items():
                setattr(condition, name, value)
            condition.save()
    for source_entry in content.sources:
        source = Source.objects.filter(key=source_entry.key).first()
        if source is None:
            Source.objects.create(key=source_entry.key, **source_entry.values)
            report.sources_created += 1
        elif _changed(source, source_entry.values):
            if _changed(source, {name: source_entry.values[name] for name in ("url", "doi")}):
                source.forget_link_check()
            for name, value in source_entry.values.items():
                setattr(source, name, value)
            source.save()
            report.sources_updated += 1

    guides = {entry.slug: _guide_load(entry, report) for entry in content.guides}

    for entry in content.guides:
        guide = guides[entry.slug]
        wanted = set(Guide.objects.filter(slug__in=entry.related).values_list("pk", flat=True))
        if set(guide.related.values_list("pk", flat=True)) != wanted:
            guide.related.set(wanted)
            Guide.objects.filter(pk=guide.pk).update(updated_at=timezone.now())
        if guide.status != Guide.Status.PUBLISHED:
            report.drafts.append(entry.slug)
    # Translations last: their related links and tables name the guides as loaded.
    for translation_entry in content.translations:
        text = _translation_load(translation_entry, report)
        if text.is_outdated:
            report.outdated.append(f"{text.language}/{text.guide.slug}")
    return report


# --- The link check of the bibliography ---------------------------------------------

DOI_RESOLVER = "https://doi.org/"
LINK_CHECK_WORKERS = 4
# Answers that turn a robot away rather than say the page is gone: a reader's
# browser usually opens these, so the check cannot tell either way.
REFUSED_CODES = frozenset({401, 403, 429})


@dataclass(frozen=True)
class LinkResult:
    """What fetching one address found."""

    url: str
    status: str  # a Source.LinkStatus
    code: int | None = None
    problem: str = ""


@dataclass
class LinkCheckReport:
    checked: int = 0
    ok: int = 0
    unknown: list[tuple[Source, LinkResult]] = field(default_factory=list)
    broken: list[tuple[Source, LinkResult]] = field(default_factory=list)
    newly_broken: list[tuple[Source, LinkResult]] = field(default_factory=list)
    mailed_to: int = 0


class _SameMethodRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect with the method asked: urllib would turn a HEAD into a GET."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        request = super().redirect_request(req, fp, code, msg, headers, newurl)
        if request is not None:
            request.method = req.get_method()
        return request


def link_user_agent() -> str:
    """How the link check names itself to the sites it visits."""
    return f"CardinalRecoveryLinkCheck/1.0 (+{settings.SITE_URL})"


def _final_status(url: str, method: str, timeout: float, user_agent: str) -> int:
    """The HTTP status `method url` ends on, redirects followed; raises when no answer."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),  # the standard proxy variables, as urlopen
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        _SameMethodRedirects(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    # Only http and https are handled (no file:, ftp: or data:), redirects included.
    request = urllib.request.Request(  # noqa: S310
        url, method=method, headers={"User-Agent": user_agent, "Accept": "*/*"}
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status  # the body is never read
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def _no_answer(error: Exception, timeout: float) -> str:
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(error, urllib.error.URLError):
        return f"could not connect ({reason})"
    if isinstance(error, ValueError):
        return "not a valid address"
    return f"no valid answer ({type(error).__name__})"


def link_check(*, url: str, timeout: float, user_agent: str) -> LinkResult:
    """Fetch an address as a reader's browser reaches it, with the standard library.

    HEAD first; GET when HEAD fails (some servers answer it with 405, or wrongly),
    the body never read. Redirects are followed. Works: a 2xx answer. Cannot tell
    (UNKNOWN): 401, 403 or 429, a site turning robots away, or an address that is
    not http(s). Broken: any other answer, or none within `timeout` seconds (per
    connect and per read).
    """
    if urlsplit(url).scheme not in ("http", "https"):
        return LinkResult(url, Source.LinkStatus.UNKNOWN, problem="not a web address")
    code, problem = None, ""
    for method in ("HEAD", "GET"):
        try:
            code, problem = _final_status(url, method, timeout, user_agent), ""
        except (OSError, http.client.HTTPException, ValueError) as error:
            code, problem = None, _no_answer(error, timeout)
        if code is not None and 200 <= code < 300:
            return LinkResult(url, Source.LinkStatus.OK, code)
    if code is None:
        return LinkResult(url, Source.LinkStatus.BROKEN, None, problem)
    if code in REFUSED_CODES:
        return LinkResult(
            url,
            Source.LinkStatus.UNKNOWN,
            code,
            f"HTTP {code}: the site turned the check away; open the link by hand",
        )
    return LinkResult(url, Source.LinkStatus.BROKEN, code, f"HTTP {code}")


def source_check_addresses(source: Source) -> list[str]:
    """The addresses a source gives: its URL and its DOI (through the resolver)."""
    addresses = [source.url] if source.url else []
    if source.doi:
        addresses.append(DOI_RESOLVER + quote(source.doi.strip(), safe="/:;()._-"))
    return addresses


def _source_result(source: Source, timeout: float, user_agent: str) -> LinkResult:
    """Broken if one of its addresses is; works if all do; otherwise cannot tell."""
    results = [
        link_check(url=url, timeout=timeout, user_agent=user_agent)
        for url in source_check_addresses(source)
    ]
    for status in (Source.LinkStatus.BROKEN, Source.LinkStatus.UNKNOWN):
        for result in results:
            if result.status == status:
                return result
    return results[0]


def sources_check_links(*, timeout: float | None = None, mail: bool = True) -> LinkCheckReport:
    """Fetch every source's URL and DOI (link_check), store what was found on the
    source, and mail the Editors one summary of the links newly broken.

    The fields are written with update(): a check changes no page, so no cache
    validator moves and no stored page is retired. A source is newly broken when it
    was not broken at the last check; the update that marks it decides, so two runs
    at once mail it once. A failed mail undoes the run's writes (the task retries).
    timeout: seconds per address, settings.SOURCES_CHECK_TIMEOUT_SECONDS by default.
    """
    timeout = settings.SOURCES_CHECK_TIMEOUT_SECONDS if timeout is None else timeout
    user_agent = link_user_agent()
    sources = list(Source.objects.with_link().order_by("key"))
    with ThreadPoolExecutor(max_workers=LINK_CHECK_WORKERS) as pool:
        results = list(pool.map(lambda s: _source_result(s, timeout, user_agent), sources))
    report = LinkCheckReport(checked=len(sources))
    now = timezone.now()
    with transaction.atomic():
        for source, result in zip(sources, results, strict=True):
            row = Source.objects.filter(pk=source.pk)
            values = {
                "link_status": result.status,
                "link_status_code": result.code,
                "link_checked_at": now,
            }
            if result.status != Source.LinkStatus.BROKEN:
                row.update(**values, link_broken_since=None)
                if result.status == Source.LinkStatus.OK:
                    report.ok += 1
                else:
                    report.unknown.append((source, result))
                continue
            report.broken.append((source, result))
            newly = row.exclude(link_status=Source.LinkStatus.BROKEN)
            if newly.update(**values, link_broken_since=now):
                report.newly_broken.append((source, result))
            else:
                row.update(**values)
        if mail and report.newly_broken:
            report.mailed_to = _mail_new_breakages(report.newly_broken)
    logger.info(
        "checked %d source links: %d work, %d broken (%d newly), %d could not be checked",
        report.checked,
        report.ok,
        len(report.broken),
        len(report.newly_broken),
        len(report.unknown),
    )
    return report


def _mail_new_breakages(found: list[tuple[Source, LinkResult]]) -> int:
    """One mail to the active Editors with an address; how many it went to."""
    editors = get_user_model().objects.filter(is_active=True, groups__name=EDITORS_GROUP)
    recipients = sorted(set(editors.exclude(email="").values_list("email", flat=True)))
    if not recipients:
        logger.warning("%d source links broke and no editor has an email address", len(found))
        return 0
    citing: dict[int, list[str]] = {}
    citations = Citation.objects.filter(source__in=[source for source, _ in found])
    for citation in citations.select_related("guide").order_by("guide__title"):
        citing.setdefault(citation.source_id, []).append(citation.guide.title)
    context = {
        "sources": [
            {
                "key": source.key,
                "title": source.title,
                "url": result.url,
                "problem": result.problem,
                "guides": citing.get(source.pk, []),
                "admin_url": settings.SITE_URL
                + reverse("admin:education_source_change", args=[source.pk]),
            }
            for source, result in found
        ],
        "list_url": settings.SITE_URL
        + reverse("admin:education_source_changelist")
        + f"?link_status__exact={Source.LinkStatus.BROKEN}",
    }
    count = len(found)
    subject = "A source link is broken" if count == 1 else f"{count} source links are broken"
    send_mail(
        subject,
        render_to_string("education/email/sources_broken.txt", context),
        None,
        recipients,
    )
    return len(recipients)
