"""Structured data (schema.org JSON-LD) for the guide pages."""

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext

from cardinal.i18n import CONTENT_LANGUAGES
from cardinal.lib.jsonld import ORGANIZATION_NAME, clinic_logo
from education.models import FAQ, Condition, ConditionText, Guide, Source

if TYPE_CHECKING:
    from education.editions import GuideEdition


def _breadcrumbs(guide: "Guide | GuideEdition", site_url: str) -> dict:
    trail = [
        (gettext("Home"), site_url + reverse("home")),
        (gettext("Medication guides"), site_url + reverse("education:guide-list")),
        (guide.medication, site_url + guide.get_absolute_url()),
    ]
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": name, "item": url}
            for position, (name, url) in enumerate(trail, start=1)
        ],
    }


def condition_structured_data(condition: Condition | ConditionText) -> dict:
    """The condition a guide is for, as schema.org names it."""
    node = {"@type": "MedicalCondition", "name": condition.title}
    if condition.short_name:
        node["alternateName"] = condition.short_name
    return node


def _about(guide: "Guide | GuideEdition") -> list[dict]:
    """What the page is about: its medicine (a comparison page compares several, so
    none) and the condition it is for."""
    drug = [] if guide.is_comparison else [{"@type": "Drug", "name": guide.medication}]
    return [*drug, condition_structured_data(guide.condition)]


def citation_structured_data(source: Source) -> dict:
    """A cited source, as the page's JSON-LD lists it."""
    return {
        "@type": "CreativeWork",
        "name": source.title,
        **({"url": source.link} if source.link else {}),
    }


def question_structured_data(faq: FAQ) -> dict:
    """A FAQ, its answer rendered, as the page's FAQPage lists it."""
    return {
        "@type": "Question",
        "name": faq.question,
        "acceptedAnswer": {"@type": "Answer", "text": faq.answer_text},
    }


def guide_structured_data(guide: "Guide | GuideEdition", *, site_url: str) -> dict:
    """MedicalWebPage, FAQPage and BreadcrumbList for one guide, in the page's language.

    Expects the guide loaded for its page (its changes prefetched, its last review
    selected), or what a translated page shows of it (editions.GuideEdition: its
    name, description, questions and review are the translation's, and the page is
    based on the English one); its questions and citations are the lists stored on
    it. `reviewedBy` and `lastReviewed` appear only while the content still matches
    the last review.
    """
    url = site_url + guide.get_absolute_url()
    page = {
        "@type": "MedicalWebPage",
        "@id": f"{url}#page",
        "url": url,
        "name": guide.title,
        "description": guide.description,
        # A guide not translated is English on every page; a translation is in its own.
        "inLanguage": CONTENT_LANGUAGES[getattr(guide, "language", "en")],
        "about": _about(guide),
        "audience": {"@type": "MedicalAudience", "audienceType": "Patient"},
        "publisher": {
            "@type": "MedicalOrganization",
            "name": ORGANIZATION_NAME,
            "url": site_url + "/",
            "logo": clinic_logo(),
        },
        # The parts from its sources and FAQs are stored with the guide (guide_render).
        "citation": guide.json_ld_parts.get("citation", []),
    }
    if english_url := getattr(guide, "english_url", ""):
        english = site_url + english_url
        page["isBasedOn"] = english
        page["translationOfWork"] = {"@id": f"{english}#page"}
    # Dates of the content (its change log), never of the row: a fresh install's
    # load is no news to a reader.
    if published_on := guide.first_published_on:
        page["datePublished"] = published_on.isoformat()
    if guide.content_updated_on:
        page["dateModified"] = guide.content_updated_on.isoformat()
    review = guide.last_review
    if review is not None and guide.review_is_current:
        # Only while the content is what the reviewer signed (overdue included).
        page["lastReviewed"] = review.signed_on.isoformat()
        page["reviewedBy"] = {
            "@type": "Person",
            "name": review.reviewer_name,
            "honorificSuffix": review.reviewer_credentials,
        }
    graph = [page, _breadcrumbs(guide, site_url)]
    if questions := guide.json_ld_parts.get("faq"):
        graph.append({"@type": "FAQPage", "@id": f"{url}#faq", "url": url, "mainEntity": questions})
    return {"@context": "https://schema.org", "@graph": graph}
