"""Multi-step writes of the education app."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from education.loader import Content, GuideEntry
from education.models import FAQ, Guide, Source


@dataclass
class LoadReport:
    sources_created: int = 0
    sources_updated: int = 0
    guides_created: int = 0
    guides_updated: int = 0
    unchanged: int = 0
    drafts: list[str] = field(default_factory=list)


def _changed(instance, values: dict) -> bool:
    return any(getattr(instance, name) != value for name, value in values.items())


def _faqs_of(guide: Guide) -> list[tuple[str, str]]:
    return [(faq.question, faq.answer) for faq in guide.faqs.all()]


def _guide_load(entry: GuideEntry, report: LoadReport) -> Guide:
    guide = Guide.objects.filter(slug=entry.slug).first()
    created = guide is None
    if created:
        guide = Guide(**entry.values)
    elif not _changed(guide, entry.values) and _faqs_of(guide) == entry.faqs:
        report.unchanged += 1
        return guide
    else:
        for name, value in entry.values.items():
            setattr(guide, name, value)
    guide.save()
    if [(faq.question, faq.answer) for faq in guide.faqs.all()] != entry.faqs:
        guide.faqs.all().delete()
        FAQ.objects.bulk_create(
            FAQ(guide=guide, question=question, answer=answer, order=order)
            for order, (question, answer) in enumerate(entry.faqs, start=1)
        )
        guide.save()  # render the answers: citation numbers run across the page
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
    for entry in content.sources:
        source = Source.objects.filter(key=entry.key).first()
        if source is None:
            Source.objects.create(key=entry.key, **entry.values)
            report.sources_created += 1
        elif _changed(source, entry.values):
            for name, value in entry.values.items():
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
