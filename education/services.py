"""Multi-step writes of the education app."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from education import markup
from education.loader import Content, GuideEntry
from education.models import (
    FAQ,
    Citation,
    Guide,
    GuideReview,
    ReviewerProfile,
    Source,
    is_medical_reviewer,
    known_source_keys,
    unknown_keys_message,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

NOT_A_REVIEWER = "Only a medical reviewer can sign off the review of a guide."
NO_PROFILE = (
    "Add your display name and credentials to your reviewer profile first: the page "
    "names the reviewer with them."
)
CHANGED_WHILE_READING = (
    "The guide changed after you opened it: read it again before you sign off the review."
)


@dataclass
class LoadReport:
    sources_created: int = 0
    sources_updated: int = 0
    guides_created: int = 0
    guides_updated: int = 0
    unchanged: int = 0
    drafts: list[str] = field(default_factory=list)


@transaction.atomic
def guide_render(*, guide: Guide) -> Guide:
    """Render the guide's summary, signs of overdose, body and FAQ answers once and save.

    Call it after the guide's FAQs are saved: citation numbers run across the page
    in reading order. It stores the HTML, the table of contents, each answer's HTML
    and text, the numbered sources and the content fingerprint, and moves on the
    validators of the pages that list the guide as related. An unknown citation key
    raises ValidationError before anything is written.
    """
    faqs = list(FAQ.objects.filter(guide=guide)) if guide.pk else []
    answers = [faq.answer for faq in faqs]
    sources = known_source_keys(guide.summary, guide.overdose_signs, guide.body, *answers)
    rendered = markup.render_guide(
        summary=guide.summary_items,
        overdose_signs=guide.overdose_signs,
        body=guide.body,
        faq_answers=answers,
        known_keys=sources,
    )
    if rendered.unknown_keys:
        raise ValidationError(unknown_keys_message(rendered.unknown_keys))
    guide.summary_html = rendered.summary_html
    guide.overdose_signs_html = rendered.overdose_signs_html
    guide.body_html = rendered.body_html
    guide.toc = rendered.toc
    guide.content_fingerprint = guide.current_fingerprint(
        faqs=[(faq.question, faq.answer) for faq in faqs]
    )
    guide.save()
    for faq, answer_html, answer_text in zip(
        faqs, rendered.faq_html, rendered.faq_text, strict=True
    ):
        faq.answer_html, faq.answer_text = answer_html, answer_text
    FAQ.objects.bulk_update(faqs, ["answer_html", "answer_text"])
    guide.citations.all().delete()
    Citation.objects.bulk_create(
        Citation(guide=guide, source_id=sources[key], number=number)
        for number, key in enumerate(rendered.cited_keys, start=1)
    )
    # Pages that list this guide as related show its title and status.
    Guide.objects.filter(related=guide).exclude(pk=guide.pk).update(updated_at=guide.updated_at)
    return guide


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
    if not is_medical_reviewer(reviewer):
        raise PermissionDenied(NOT_A_REVIEWER)
    profile = ReviewerProfile.objects.filter(user=reviewer).first()
    if profile is None or not profile.is_complete:
        raise ValidationError(NO_PROFILE)
    guide = Guide.objects.select_for_update().get(pk=guide.pk)
    fingerprint = guide.current_fingerprint()
    if seen_fingerprint is not None and seen_fingerprint != fingerprint:
        raise ValidationError(CHANGED_WHILE_READING)
    review = GuideReview.objects.create(
        guide=guide,
        reviewer=reviewer,
        reviewer_name=profile.display_name.strip(),
        reviewer_credentials=profile.credentials.strip(),
        signed_at=timezone.now(),
        fingerprint=fingerprint,
    )
    # The page's own validators include the review (education.views).
    Guide.objects.filter(pk=guide.pk).update(last_review=review, content_fingerprint=fingerprint)
    return review


def _changed(instance, values: dict) -> bool:
    return any(getattr(instance, name) != value for name, value in values.items())


def _faqs_of(guide: Guide) -> list[tuple[str, str]]:
    return [(faq.question, faq.answer) for faq in guide.faqs.all()]


def _guide_load(entry: GuideEntry, report: LoadReport) -> Guide:
    existing = Guide.objects.filter(slug=entry.slug).first()
    created = existing is None
    if existing is None:
        guide = Guide(**entry.values)
    elif not _changed(existing, entry.values) and _faqs_of(existing) == entry.faqs:
        report.unchanged += 1
        return existing
    else:
        guide = existing
        for name, value in entry.values.items():
            setattr(guide, name, value)
    if (_faqs_of(guide) if guide.pk else []) != entry.faqs:
        if created:
            guide.save()  # the FAQs refer to its row
        guide.faqs.all().delete()
        FAQ.objects.bulk_create(
            FAQ(guide=guide, question=question, answer=answer, order=order)
            for order, (question, answer) in enumerate(entry.faqs, start=1)
        )
    guide_render(guide=guide)
    if created:
        report.guides_created += 1
    else:
        report.guides_updated += 1
    return guide


@transaction.atomic
def content_load(*, content: Content) -> LoadReport:
    """Create or update sources by key, then guides by slug, then related links.

    Running it again with the same files changes nothing (timestamps included, so
    cached pages stay valid); a changed file updates its rows in place.
    """
    report = LoadReport()
    for source_entry in content.sources:
        source = Source.objects.filter(key=source_entry.key).first()
        if source is None:
            Source.objects.create(key=source_entry.key, **source_entry.values)
            report.sources_created += 1
        elif _changed(source, source_entry.values):
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
    return report
