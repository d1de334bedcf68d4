"""Navigators on duty: the one-click "available" / "away" switch every admin page
shows a navigator (templates/admin/base_site.html), and what marks them away
without a click.

A navigator is on duty (NavigatorState.objects.on_duty: new intakes are
assigned to them) from marking themself available until they mark themself
away, sign out (or their session ends: user_logged_out), or go
settings.ADMISSIONS_AWAY_AFTER_MINUTES without a request to the admin, which
NavigatorSeenMiddleware notes. The rules themselves are services
(admissions/services.py: navigator_set_available, navigator_seen).
"""

from typing import TYPE_CHECKING, cast

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from admissions import services
from admissions.models import NavigatorState, duty_away_after
from cardinal.staff.session_lifetime import is_automatic_request

if TYPE_CHECKING:
    from django.contrib.auth.models import User  # settings.AUTH_USER_MODEL

URL_NAME = "admissions_duty"


def _next_url(request: HttpRequest) -> str:
    """The admin page the switch was clicked on (the admin index for anything else)."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if safe and target.startswith(reverse("admin:index")):
        return target
    return reverse("admin:index")


@require_POST
def _duty_set(request: HttpRequest) -> HttpResponse:
    """POST available=1 (available) or available=0 (away), then back to the page."""
    user = cast("User", request.user)  # admin_view lets signed-in staff only in
    available = request.POST.get("available") == "1"
    waiting = services.navigator_set_available(user=user, available=available)
    if not available:
        messages.info(request, "You are away: new intakes are not given to you.")
    elif not NavigatorState.objects.on_duty().filter(user=user).exists():
        messages.warning(
            request,
            "Your account has no email address, so no intake can be given to you. "
            "Ask an administrator to add one.",
        )
    else:
        messages.success(request, "You are available: new intakes are given to you.")
        if waiting:
            text = "1 intake is" if waiting == 1 else f"{waiting} intakes are"
            messages.warning(
                request,
                format_html(
                    '{} waiting for a first call with nobody assigned: <a href="{}">'
                    "open the intake list</a>.",
                    text,
                    reverse("admin:admissions_intake_changelist"),
                ),
            )
    return redirect(_next_url(request))


# Staff only (others meet the sign-in page), CSRF-protected, never cached.
duty_set = admin.site.admin_view(_duty_set)


def _in_admin(request) -> bool:
    """Whether the request is for the admin (False where the URLconf has none)."""
    try:
        return request.path.startswith(reverse("admin:index"))
    except NoReverseMatch:
        return False


class NavigatorSeenMiddleware:
    """Each request of a signed-in staff member to the admin keeps an available
    navigator on duty (services.navigator_seen). One who was gone longer than
    ADMISSIONS_AWAY_AFTER_MINUTES (models.duty_away_after) is marked away, and
    told so on this page.
    Goes after the authentication, two-factor and messages middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            _in_admin(request)
            and request.path != reverse(URL_NAME)  # the switch says what it did
            and not is_automatic_request(request)  # the list refreshing itself is not work
            and request.user.is_authenticated
            and request.user.is_staff
            and services.navigator_seen(user=request.user)
        ):
            minutes = int(duty_away_after().total_seconds() // 60)
            messages.warning(
                request,
                f"You were marked away after {minutes} minutes without activity: "
                "mark yourself available to be given intakes again.",
            )
        return self.get_response(request)


def navigator_signed_out(sender, request, user, **kwargs) -> None:
    """user_logged_out receiver: a navigator who signs out (or whose session is
    ended) is away."""
    if user is not None:
        services.navigator_set_available(user=user, available=False)
