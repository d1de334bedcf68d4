"""Site-wide pages: home, static information pages, health checks, error pages."""

import functools
import logging
import threading
from pathlib import Path
from time import monotonic

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from admissions.schedule import schedule_current
from cardinal import care
from cardinal.context_processors import site
from cardinal.i18n import content_language
from cardinal.lib.jsonld import clinic_organization, json_ld
from education.comparison import sections_context

logger = logging.getLogger(__name__)


class PublicPage(TemplateView):
    """A page that is the same for every visitor, so caches may keep it."""

    http_method_names = ["get", "head", "options"]

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        response["Cache-Control"] = "public, max-age=300"
        return response


class HomePage(PublicPage):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The published guides, by condition, in the page's language where translated.
        context.update(sections_context(get_language() or settings.LANGUAGE_CODE))
        organization = clinic_organization()
        context["organization_json_ld"] = json_ld(organization)
        # The page itself, in its language (English at /, Spanish at /es/).
        context["page_json_ld"] = json_ld(
            {
                "@context": "https://schema.org",
                "@type": "WebPage",
                "url": settings.SITE_URL + self.request.path,
                "inLanguage": content_language(),
                "about": {"@id": organization["@id"]},
            }
        )
        return context


class AboutCarePage(PublicPage):
    """What a family checks before calling: the clinic's facts (cardinal/care.py) and
    what happens after the call, in the words of the intake pages."""

    template_name = "pages/about_our_care.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["care"] = care.care_current()
        context["admissions_hours"] = schedule_current().describe()
        context["callback_minutes"] = settings.ADMISSIONS_CALLBACK_MINUTES
        context["ask_on_the_call"] = gettext(care.ASK_ON_THE_CALL)
        context["navigator_questions"] = {
            "title": care.NAVIGATOR_QUESTIONS_TITLE,
            "url": care.NAVIGATOR_QUESTIONS_URL,
            "home": care.NAVIGATOR_URL,
        }
        return context


# /favicon.ico, asked for by browsers and link previews whatever the page names:
# the site's own icon (scripts/make_images.py draws it from the logo). Its address
# carries no hash, so it is cached for a week rather than a year: a new logo
# reaches every browser within a week.
FAVICON = Path("static") / "img" / "favicon.ico"
FAVICON_MAX_AGE = 7 * 24 * 3600


@require_safe
@cache_control(public=True, max_age=FAVICON_MAX_AGE)
def favicon(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_favicon_bytes(), content_type="image/vnd.microsoft.icon")


@functools.cache
def _favicon_bytes() -> bytes:
    return (Path(settings.BASE_DIR) / FAVICON).read_bytes()


@require_safe
@cache_control(no_store=True)
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering. No I/O."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    cache.set("readyz", "1", timeout=10)
    if cache.get("readyz") != "1":
        raise RuntimeError("cache did not return what was stored")


def _check_broker() -> None:
    from cardinal.celery import app

    if app.conf.task_always_eager:
        return
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)


READINESS_CHECKS = {
    "database": _check_database,
    "cache": _check_cache,
    "broker": _check_broker,
}


# A flood of /readyz costs one round of checks per process per READINESS_TTL seconds.
READINESS_TTL = 1.0
_readiness_lock = threading.Lock()
_readiness: tuple[float, dict] | None = None  # (when the checks ended, monotonic; the body)


def _readiness_body() -> dict:
    results = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure means not ready
            logger.warning("readiness check %s failed: %s", name, type(exc).__name__)
            results[name] = "unavailable"
        else:
            results[name] = "ok"
    failed = sorted(name for name, state in results.items() if state != "ok")
    return {"status": "ok" if not failed else "unavailable", "checks": results, "failed": failed}


def readiness_reset() -> None:
    """Forget the last result: the next /readyz runs the checks."""
    global _readiness
    _readiness = None


@require_safe
@cache_control(no_store=True)
def readyz(request: HttpRequest) -> JsonResponse:
    """Are the database, cache and broker reachable? 503 names what failed.

    The result is kept for READINESS_TTL seconds in this process."""
    global _readiness
    with _readiness_lock:
        if _readiness is None or monotonic() - _readiness[0] >= READINESS_TTL:
            body = _readiness_body()
            _readiness = (monotonic(), body)  # from the end: slow checks are not repeated at once
        body = _readiness[1]
    return JsonResponse(body, status=503 if body["failed"] else 200)


def _error_page(template_name: str, status: int) -> HttpResponse:
    # Rendered from settings alone: no request context processors, no database,
    # so it works while the database is down.
    template = loader.get_template(template_name)
    context = {**site(), "status_code": status}
    return HttpResponse(template.render(context), status=status)


def bad_request(request, exception=None):
    return _error_page("errors/400.html", 400)


def permission_denied(request, exception=None):
    return _error_page("errors/403.html", 403)


def page_not_found(request, exception=None):
    return _error_page("errors/404.html", 404)


def server_error(request):
    return _error_page("errors/500.html", 500)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    return _error_page("errors/503.html", 503)


def csrf_failure(request, reason=""):
    return _error_page("errors/403_csrf.html", 403)
