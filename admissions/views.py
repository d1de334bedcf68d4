"""The intake form and its confirmation page: thin views, Post/Redirect/Get.

Nothing personal goes into a URL or a log line: the confirmation page finds
the reference in the session.
"""

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.core import get_usage

from admissions import services
from admissions.forms import IntakeForm
from admissions.models import Intake
from cardinal.lib.client_ip import client_ip as request_client_ip

logger = logging.getLogger(__name__)

SESSION_REFERENCE_KEY = "admissions_reference"
ACCEPTED_GROUP = "admissions.intake.accepted"
POSTED_GROUP = "admissions.intake.posted"


def client_ip(group: str, request: HttpRequest) -> str:
    """The key of the rate limits: the visitor's address, seen through our own
    proxies (cardinal.lib.client_ip, which staff sign-in lockouts use too)."""
    return request_client_ip(request) or "unknown"


def _usage(request: HttpRequest, group: str, rate: str, *, increment: bool) -> dict | None:
    try:
        return get_usage(request, group=group, key=client_ip, rate=rate, increment=increment)
    except Exception as exc:  # the cache is down: never turn a person away for that
        logger.warning("intake rate limit unavailable (%s)", type(exc).__name__)
        return None


def _rate_limited(request: HttpRequest) -> bool:
    """Too many form posts, or too many accepted intakes, from this address."""
    posted = _usage(request, POSTED_GROUP, settings.ADMISSIONS_POST_RATE_LIMIT, increment=True)
    if posted and posted["should_limit"]:
        return True
    accepted = _usage(request, ACCEPTED_GROUP, settings.ADMISSIONS_RATE_LIMIT, increment=False)
    return bool(accepted and accepted["count"] >= accepted["limit"])


def _accepted(request: HttpRequest, reference: str) -> HttpResponse:
    _usage(request, ACCEPTED_GROUP, settings.ADMISSIONS_RATE_LIMIT, increment=True)
    request.session[SESSION_REFERENCE_KEY] = reference
    return redirect("admissions:thanks")


@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if _rate_limited(request):
            return render(request, "admissions/rate_limited.html", status=429)
        form = IntakeForm(request.POST)
        reason = form.automated_reason()
        if reason:
            # Looks automated: answer as if saved, save nothing.
            logger.info("intake form rejected silently (%s)", reason)
            return _accepted(request, Intake.objects.unused_reference())
        if form.is_valid():
            intake = services.intake_submit(
                **form.intake_data(), consent_page=_consent_page(form.cleaned_data["source"])
            )
            return _accepted(request, intake.reference)
    else:
        form = IntakeForm(source=request.GET.get("from", ""))
    return render(request, "admissions/intake.html", {"form": form, **_timing()})


@never_cache
@require_safe
def thanks(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(SESSION_REFERENCE_KEY)
    if not reference:
        return redirect("admissions:intake")
    return render(request, "admissions/thanks.html", {"reference": reference, **_timing()})


def _consent_page(source: str) -> str:
    page = reverse("admissions:intake")
    return f"{page}?from={source}" if source else page


def _timing() -> dict:
    return {
        "callback_minutes": settings.ADMISSIONS_CALLBACK_MINUTES,
        "admissions_hours": settings.ADMISSIONS_HOURS,
    }
