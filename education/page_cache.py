"""The fast path for anonymous guide pages.

A guide page is the same for every visitor, so each web process keeps the
finished response (body and every header the middleware added) of the views
marked with @cacheable, and answers the next anonymous GET for the same URL
from memory, before any other middleware runs: no database query, no session,
no template.

A stored page is served only while the content generation it was rendered
under is current. The generation is a random token in the shared cache (Redis
in production) that every save or delete of a guide, FAQ, source or testimonial
replaces. The process that made the change sees it at once; the others read the
token at most every GENERATION_CHECK_SECONDS, since the round trip costs more
than serving the page. While the shared cache cannot be reached, pages are
rendered in full, and a guide cannot be saved (the change would not reach the
other processes). Pages live in the process's memory, so a deploy (new code,
templates or static files) starts with none, and they expire at local midnight
so the footer's year and dates stay right.

Only a plain GET is served: no query string, no conditional headers (the view
answers those with a 304 from its validators), no valid staff marker (signed-in
staff get the normal path, which renews their session: cardinal/staff_marker.py).
A session cookie alone does not skip it, so `Cookie: sessionid=x` cannot force a
render. Only a 200 without cookies or Vary is stored, under its scheme, host and
path.

EducationConfig.ready() (education/apps.py) connects content_changed_receiver
to the saves and deletes of those rows, so every process that can change a guide
(web, worker, management commands) retires the stored pages.
"""

import logging
import uuid
from datetime import datetime, timedelta
from time import monotonic, time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone, translation

from cardinal.staff_marker import staff_marker_valid

logger = logging.getLogger(__name__)

GENERATION_KEY = "education:page-generation"
# How long a process trusts the generation it last read. A change made in this
# process is seen at once; one made in another process within this time.
GENERATION_CHECK_SECONDS = 0.1
MAX_PAGES = 500  # per process; a guide page is about 70 KB
CONDITIONAL_HEADERS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
)


def cacheable(view):
    """Mark a public view whose anonymous GET responses the fast path may keep."""
    view.page_cacheable = True
    return view


def current_generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        generation = cache.get(GENERATION_KEY)
    return generation


_local_changes = 0  # content changes made in this process


def _new_generation() -> None:
    global _local_changes
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    _local_changes += 1


def content_changed() -> None:
    """Retire every stored page: now, and again once the change is committed.

    The second bump covers a page rendered from the old rows between the first
    bump and the commit.
    """
    _new_generation()
    transaction.on_commit(_new_generation)


def content_changed_receiver(sender, **kwargs) -> None:
    """Signal receiver: a row a guide page shows was saved or deleted."""
    content_changed()


def _next_midnight() -> float:
    today = timezone.localdate()
    midnight = datetime.combine(
        today + timedelta(days=1), datetime.min.time(), tzinfo=timezone.get_current_timezone()
    )
    return midnight.timestamp()


class StoredPage:
    __slots__ = ("generation", "expires", "content", "headers")

    def __init__(self, generation: str, response: HttpResponse):
        self.generation = generation
        self.expires = _next_midnight()
        self.content = response.content
        self.headers = dict(response.headers)

    def response(self) -> HttpResponse:
        return HttpResponse(self.content, headers=self.headers)


class GuidePageCacheMiddleware:
    """First in MIDDLEWARE: serve stored guide pages, store the ones rendered."""

    def __init__(self, get_response):
        if settings.DEBUG:
            # Template edits must show at once while developing.
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.pages: dict[tuple, StoredPage] = {}
        self.prefix: tuple[str, ...] | None = None
        self.generation: str | None = None  # None: the shared cache is unavailable
        self.checked_at = float("-inf")
        self.seen_changes = -1

    def __call__(self, request):
        if not self._eligible(request):
            return self.get_response(request)
        key = (request.is_secure(), request.get_host(), request.path)
        generation = self._generation()
        if generation is None:
            return self.get_response(request)
        page = self.pages.get(key)
        if page is not None and page.generation == generation and time() < page.expires:
            return page.response()
        response = self.get_response(request)
        if self._storable(request, response):
            if len(self.pages) >= MAX_PAGES:
                self.pages.clear()
            self.pages[key] = StoredPage(generation, response)
        return response

    def _generation(self) -> str | None:
        """The current generation; None while the shared cache is unavailable."""
        checked = monotonic()
        if self.seen_changes == _local_changes and checked - self.checked_at < (
            GENERATION_CHECK_SECONDS
        ):
            return self.generation
        self.seen_changes = _local_changes
        self.checked_at = checked
        try:
            self.generation = current_generation()
        except Exception as exc:
            # Pages are rendered in full until the cache answers again.
            logger.warning("page cache unavailable (%s)", type(exc).__name__)
            self.generation = None
        return self.generation

    def _eligible(self, request) -> bool:
        if request.method != "GET":
            return False
        if self.prefix is None:
            # The guide list's address in every language (/medications/, /es/medications/).
            prefixes = []
            for code, _ in settings.LANGUAGES:
                with translation.override(code):
                    prefixes.append(reverse("education:guide-list"))
            self.prefix = tuple(prefixes)
        if not request.path.startswith(self.prefix):
            return False
        meta = request.META
        if meta.get("QUERY_STRING") or any(name in meta for name in CONDITIONAL_HEADERS):
            return False
        if "HTTP_COOKIE" in meta and staff_marker_valid(request):
            return False
        # The normal path answers with the redirect to https.
        return request.is_secure() or not settings.SECURE_SSL_REDIRECT

    @staticmethod
    def _storable(request, response) -> bool:
        match = getattr(request, "resolver_match", None)
        return (
            match is not None
            and getattr(match.func, "page_cacheable", False)
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not response.has_header("Vary")
        )
