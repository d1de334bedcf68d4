"""The intake form and its confirmation page: thin views, Post/Redirect/Get.

Nothing personal goes into a URL or a log line: the confirmation page finds
the reference in the session, and shows it once.
"""

import logging
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from admissions import consent, limits, services
from admissions.forms import IntakeForm
from admissions.models import Intake
from admissions.promise import callback_promise
from admissions.schedule import schedule_current
from cardinal.lib.client_ip import client_ip as request_client_ip

logger = logging.getLogger(__name__)

SESSION_REFERENCE_KEY = "admissions_reference"
# When the navigator is to call (Intake.call_after, ISO), shown with the reference.
SESSION_CALL_AFTER_KEY = "admissions_call_after"
# Set once the reference was shown: a reload shows the confirmation without it.
SESSION_THANKED_KEY = "admissions_thanked"


def client_ip(request: HttpRequest) -> str:
    """The key of the rate limits: the visitor's address, seen through our own
    proxies (cardinal.lib.client_ip, which staff sign-in lockouts use too)."""
    return request_client_ip(request) or "unknown"


def _rate_limited(request: HttpRequest) -> bool:
    """Too many form posts, or too many accepted intakes, from this address
    (admissions/limits.py; a cache that is down limits nobody)."""
    return limits.address_posted(client_ip(request))


def _accepted(
    request: HttpRequest, reference: str, call_after: datetime | None = None
) -> HttpResponse:
    limits.address_accepted(client_ip(request))
    request.session[SESSION_REFERENCE_KEY] = reference
    if call_after is not None:
        request.session[SESSION_CALL_AFTER_KEY] = call_after.isoformat()
    return redirect("admissions:thanks")


# Why a form is shown again instead of being saved, in the person's words.
LONG_OPEN = gettext_lazy(
    "This form was open for a long time. Please check your details and press "
    "“Request my callback” again."
)
TOO_SOON = gettext_lazy("Please check your details and press “Request my callback” again.")
ALREADY_SENT = gettext_lazy(
    "You already sent us this form. To send it again, for example with corrected "
    "details, check them and press “Request my callback” again."
)
NOTICES = {"too fast": TOO_SOON, "used": ALREADY_SENT}


def _csrf_secret(request: HttpRequest) -> str:
    """The browser's CSRF secret: the unmasked value of its CSRF cookie, which
    CsrfViewMiddleware puts in request.META (a new one when it has none)."""
    get_token(request)
    return request.META.get("CSRF_COOKIE", "")


def _shown_again(request: HttpRequest, form: IntakeForm, problem: str) -> HttpResponse:
    """The form again, the answers kept, with a fresh token and a word of why."""
    logger.info("intake form shown again (%s)", problem)
    form = form.with_new_token(csrf_secret=_csrf_secret(request))
    notice = NOTICES.get(problem, LONG_OPEN)
    return render(request, "admissions/intake.html", {"form": form, "notice": notice, **_timing()})


def _submit(request: HttpRequest, form: IntakeForm, nonce: str) -> HttpResponse:
    """Save a valid form once per token, within the global ceiling."""
    claim = limits.token_claim(nonce)
    if claim is limits.Claim.USED:
        return _shown_again(request, form, "used")
    window = limits.current_window()
    if limits.ceiling_reached(window):
        if claim is limits.Claim.CLAIMED:
            limits.token_release(nonce)
        if limits.ceiling_alert_due(window):
            services.queue_ceiling_alert(window)
        logger.warning("intake form over the ceiling of the minute: asked to call")
        response = render(request, "admissions/busy.html", status=503)
        response["Retry-After"] = str(limits.WINDOW_SECONDS)
        return response
    try:
        intake = services.intake_submit(
            **form.intake_data(),
            consent_page=_consent_page(form.cleaned_data["source"]),
            consent_version=consent.current().version,  # the wording the form showed
        )
    except Exception:
        if claim is limits.Claim.CLAIMED:
            limits.token_release(nonce)  # not saved: the same form may be sent again
        raise
    return _accepted(request, intake.reference, intake.call_after)


@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if _rate_limited(request):
            return render(request, "admissions/rate_limited.html", status=429)
        form = IntakeForm(request.POST)
        if form.is_honeypot():
            # Only a program fills the hidden field: answer as if saved, save nothing.
            logger.info("intake form rejected silently (honeypot)")
            return _accepted(request, Intake.objects.unused_reference())
        check = form.fill_check(csrf_secret=request.META.get("CSRF_COOKIE", ""))
        if not check.ok:
            return _shown_again(request, form, check.problem)
        if form.is_valid():
            return _submit(request, form, check.nonce)
    else:
        form = IntakeForm(source=request.GET.get("from", ""), csrf_secret=_csrf_secret(request))
    return render(request, "admissions/intake.html", {"form": form, **_timing()})


@never_cache
@require_safe
def thanks(request: HttpRequest) -> HttpResponse:
    """The confirmation. The reference leaves the session as it is shown, so the
    next person on a shared device cannot read it; a reload shows the rest."""
    reference = request.session.pop(SESSION_REFERENCE_KEY, None)
    call_after = request.session.get(SESSION_CALL_AFTER_KEY)
    if reference:
        request.session[SESSION_THANKED_KEY] = True
    elif not request.session.get(SESSION_THANKED_KEY):
        return redirect("admissions:intake")
    call_after_at = datetime.fromisoformat(call_after) if call_after else None
    return render(
        request,
        "admissions/thanks.html",
        {"reference": reference, **_timing(call_after=call_after_at)},
    )


def _consent_page(source: str) -> str:
    page = reverse("admissions:intake")
    return f"{page}?from={source}" if source else page


def _timing(call_after: datetime | None = None) -> dict:
    """The callback promise (admissions/promise.py) and the opening hours."""
    return {
        "promise": callback_promise(call_after=call_after),
        "admissions_hours": schedule_current().describe(),
    }
