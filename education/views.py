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
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition, require_safe

from cardinal.lib.jsonld import json_ld
from education.comparison import sections_context
from education.models import Guide, page_prefetches
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
    # One section per condition, each with its guides and its comparison table.
    return render(request, "education/guide_list.html", sections_context())


def _published_guide(request: HttpRequest, slug: str) -> Guide | None:
    # The validators and the page share one query for the guide row.
    memo = _memo(request)
    if memo.guide_slug != slug:
        memo.guide = (
            Guide.objects.published()
            .select_related("last_review", "condition")
            .filter(slug=slug)
            .first()
        )
        memo.guide_slug = slug
    return memo.guide


def _guide_etag(request: HttpRequest, slug: str) -> str | None:
    guide = _published_guide(request, slug)
    if guide is None:
        return None
    review = f"{guide.last_review_id or 0}-{guide.review_state}"
    return f"guide-{guide.pk}-{guide.updated_at.timestamp():.6f}-{review}"


def _guide_last_modified(request: HttpRequest, slug: str):
    guide = _published_guide(request, slug)
    if guide is None:
        return None
    changes = [guide.updated_at]
    if guide.last_review is not None:
        changes.append(guide.last_review.signed_at)
    due = guide.review_due_at
    if due is not None and guide.review_state == Guide.ReviewState.OVERDUE:
        changes.append(due)
    return max(changes)


def guide_page_context(guide: Guide) -> dict:
    """Context of the guide template; the guide must have its page prefetches."""
    canonical_url = settings.SITE_URL + guide.get_absolute_url()
    return {
        "guide": guide,
        "canonical_url": canonical_url,
        "callback_url": f"{reverse('admissions:intake')}?from={guide.slug}",
        "structured_data": json_ld(guide_structured_data(guide, site_url=settings.SITE_URL)),
    }


@cacheable
@require_safe
@public_page
@condition(etag_func=_guide_etag, last_modified_func=_guide_last_modified)
def guide_detail(request: HttpRequest, slug: str) -> HttpResponse:
    guide = _published_guide(request, slug)
    if guide is None:
        raise Http404("No published guide here.")
    prefetch_related_objects([guide], *page_prefetches())
    return render(request, "education/guide_detail.html", guide_page_context(guide))
