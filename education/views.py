"""Public pages of the education app: the guide list and the guides.

These pages are the same for every visitor: they never touch the session, the
user or the CSRF token, so they set no cookie and any cache may keep them for a
few minutes. They answer conditional requests from the guide's updated time and
its medical review (a sign-off, or a review falling due, changes the page).
Anonymous GETs of both are served from memory by education.page_cache.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition, require_safe

from cardinal.lib.jsonld import json_ld
from education.comparison import sections_context
from education.editions import GuideEdition
from education.models import Guide, GuideTranslation, changes_prefetch
from education.page_cache import cacheable
from education.seo import guide_structured_data

PAGE_MAX_AGE = 300  # seconds a browser or proxy may reuse a page without asking

public_page = cache_control(public=True, max_age=PAGE_MAX_AGE)


@dataclass
class _RequestMemo:
    """Rows read once per request, shared by the validators and the view."""

    list_stamp: dict[str, Any] | None = None
    guide_slug: str | None = None
    guide: Guide | None = None
    translation: GuideTranslation | None = None


def _memo(request: HttpRequest) -> _RequestMemo:
    return request.__dict__.setdefault("_education_memo", _RequestMemo())


def _list_stamp(request: HttpRequest) -> dict[str, Any]:
    # Any guide's change (or a guide leaving the list) moves the list's validators.
    memo = _memo(request)
    if memo.list_stamp is None:
        memo.list_stamp = Guide.objects.aggregate(latest=Max("updated_at"), count=Count("pk"))
    return memo.list_stamp


def _list_etag(request: HttpRequest) -> str | None:
    stamp = _list_stamp(request)
    if stamp["latest"] is None:
        return None
    return f"guides-{stamp['count']}-{stamp['latest'].timestamp():.6f}"


def _list_last_modified(request: HttpRequest):
    return _list_stamp(request)["latest"]


@cacheable
@require_safe
@public_page
@condition(etag_func=_list_etag, last_modified_func=_list_last_modified)
def guide_list(request: HttpRequest) -> HttpResponse:
    # One section per condition, each with its guides and its comparison table, in
    # the page's language (a translation's save moves its guide's updated_at).
    return render(request, "education/guide_list.html", sections_context(_language(request)))


def _language(request: HttpRequest) -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def _one(queryset):
    """The row of a queryset filtered on a unique key, or None. Unlike first(), it
    orders by nothing: building the model's ORDER BY took a fifth of the query's
    time, for a single row."""
    return next(iter(queryset.order_by()[:1]), None)


# What every guide page reads with the guide row (all their columns).
_GUIDE_RELATED = ("last_review", "condition")
# The columns of the English guide that any page of it reads: its validators, its
# review, what the page shows of it in every language (editions.GuideEdition).
_GUIDE_COLUMNS = (
    *("slug", "kind", "fda_status", "status", "published_at", "content_updated_on"),
    *("updated_at", "content_fingerprint", "shown_testimonials", *_GUIDE_RELATED),
)
# The columns a page in the language of its text reads of the guide or translation
# (the rest, its markdown above all, stays in the database): the sections stored
# rendered (services.sections_render and the others) and the texts around them.
_TEXT_COLUMNS = (
    *("title", "medication", "description", "first_change_on", "json_ld_parts"),
    *("body_html", "takeaways_html", "emergency_html", "toc_html", "changes_html"),
    *("faqs_html", "sources_html", "related_html"),
)
_TRANSLATION_COLUMNS = (
    *_TEXT_COLUMNS,
    *("guide", "language", "status", "source_fingerprint", "published_at"),
    *("content_updated_on", "updated_at", "content_fingerprint", "last_review"),
)


def _published_guide(request: HttpRequest, slug: str) -> Guide | None:
    """The published guide, read once for the validators and the page. On a page in
    another language the same query reads its published translation (_memo's
    translation, None without one), the guide through it: one query for both."""
    memo = _memo(request)
    if memo.guide_slug != slug:
        memo.guide_slug = slug
        memo.translation = None
        language = _language(request)
        if language != settings.LANGUAGE_CODE:
            memo.translation = _one(
                GuideTranslation.objects.filter(
                    guide__slug=slug,
                    guide__status=Guide.Status.PUBLISHED,  # Guide.objects.published()
                    language=language,
                    status=GuideTranslation.Status.PUBLISHED,
                )
                .select_related("last_review", *(f"guide__{name}" for name in _GUIDE_RELATED))
                .only(*_TRANSLATION_COLUMNS, *(f"guide__{name}" for name in _GUIDE_COLUMNS))
            )
        if memo.translation is not None:
            memo.guide = memo.translation.guide
        else:
            guides = Guide.objects.published().select_related(*_GUIDE_RELATED).filter(slug=slug)
            if language == settings.LANGUAGE_CODE:
                guides = guides.only(*_GUIDE_COLUMNS, *_TEXT_COLUMNS)
            # else the guide not translated: the page renders its sections from its texts.
            memo.guide = _one(guides)
    return memo.guide


def _shown(request: HttpRequest, slug: str) -> tuple[Guide | None, Any]:
    """The guide, and what its page shows of it: its translation or itself."""
    guide = _published_guide(request, slug)
    if guide is None:
        return None, None
    text = _memo(request).translation
    return guide, (text if text is not None else guide)


def _guide_etag(request: HttpRequest, slug: str) -> str | None:
    guide, shown = _shown(request, slug)
    if guide is None:
        return None
    review = f"{guide.last_review_id or 0}-{guide.review_state}"
    etag = f"guide-{guide.pk}-{guide.updated_at.timestamp():.6f}-{review}"
    if shown is not guide:
        etag += f"-t{shown.pk}-{shown.last_review_id or 0}-{shown.review_state}"
        etag += f"-{shown.updated_at.timestamp():.6f}-{int(shown.is_outdated)}"
    return etag


def _guide_last_modified(request: HttpRequest, slug: str):
    guide, shown = _shown(request, slug)
    if guide is None:
        return None
    changes = [guide.updated_at, shown.updated_at]
    if shown.last_review is not None:
        changes.append(shown.last_review.signed_at)
    due = shown.review_due_at
    if due is not None and shown.review_state == Guide.ReviewState.OVERDUE:
        changes.append(due)
    return max(changes)


def _sections_stored(text: GuideTranslation | None) -> bool:
    """Whether the page reads the sections stored with what it shows (the guide, or
    its translation): they are in that text's language, which is the page's."""
    shown = text.language if text is not None else settings.LANGUAGE_CODE
    return shown == (translation.get_language() or settings.LANGUAGE_CODE)


def prefetch_page(guide: Guide, text: GuideTranslation | None) -> None:
    """Read what the page shows beyond its rows: nothing (its testimonials and every
    section are stored on them), unless it renders its sections itself from the
    guide's texts and change log."""
    if not _sections_stored(text):
        prefetch_related_objects([guide], changes_prefetch())


def guide_page_context(guide: Guide, text: GuideTranslation | None = None) -> dict:
    """Context of the guide template; the guide must have its page prefetches.

    text: the guide's translation into the page's language, shown instead of the
    English texts (with its own review, FAQ, sources, related links and change log)."""
    page = guide if text is None else GuideEdition(guide, text)
    canonical_url = settings.SITE_URL + page.get_absolute_url()
    context: dict[str, Any] = {
        "guide": page,
        "canonical_url": canonical_url,
        "callback_url": f"{reverse('admissions:intake')}?from={guide.slug}",
        "structured_data": json_ld(guide_structured_data(page, site_url=settings.SITE_URL)),
        "sections_stored": _sections_stored(text),
    }
    if text is not None:
        # The page's content is in its own language: nothing is marked as English.
        context |= {"translation": text, "EN_CONTENT": "", "outdated": text.is_outdated}
    return context


@cacheable
@require_safe
@public_page
@condition(etag_func=_guide_etag, last_modified_func=_guide_last_modified)
def guide_detail(request: HttpRequest, slug: str) -> HttpResponse:
    guide, shown = _shown(request, slug)
    if guide is None:
        raise Http404("No published guide here.")
    text = None if shown is guide else shown
    prefetch_page(guide, text)
    return render(request, "education/guide_detail.html", guide_page_context(guide, text))
