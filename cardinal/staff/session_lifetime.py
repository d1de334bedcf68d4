"""An absolute lifetime for staff sessions, besides the idle timeout.

SESSION_COOKIE_AGE ends a session left idle; a session in use would otherwise
last for ever. The sign-in time is kept in the session (at every sign-in, by a
user_logged_in receiver), and STAFF_SESSION_MAX_HOURS after it the session is
ended, however busy: the next request is signed out and meets the sign-in page.
A signed-in session with no sign-in time (one from before this rule) is ended too.

A request a page sends by itself (the intake list's refresh, marked with
AUTOMATIC_REQUEST_HEADER) is not the person's activity: it would otherwise keep
an unattended screen signed in for ever. The time of the person's last request
is kept in the session, and a session with nothing but automatic requests for
SESSION_COOKIE_AGE since then is signed out, as the idle timeout would have done.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.utils import timezone

SIGNED_IN_AT_KEY = "staff_signed_in_at"
ACTIVE_AT_KEY = "staff_active_at"
AUTOMATIC_REQUEST_HEADER = "X-Automatic-Request"


def is_automatic_request(request) -> bool:
    """Did a page send this request by itself (static/js/admin-queue.js), rather
    than the person? Such a request is not activity."""
    return request.headers.get(AUTOMATIC_REQUEST_HEADER) == "1"


def session_mark_signed_in(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: note when this session signed in."""
    if request is not None and hasattr(request, "session"):
        now = timezone.now().timestamp()
        request.session[SIGNED_IN_AT_KEY] = now
        request.session[ACTIVE_AT_KEY] = now


def session_idle(session) -> bool:
    """Has the person sent no request for SESSION_COOKIE_AGE (only automatic ones)?"""
    active_at = session.get(ACTIVE_AT_KEY)
    if not isinstance(active_at, (int, float)):
        return False  # a session from before this rule: its next request sets it
    return timezone.now().timestamp() - active_at >= settings.SESSION_COOKIE_AGE


def session_outlived(session) -> bool:
    """Has this signed-in session passed its absolute lifetime?"""
    signed_in_at = session.get(SIGNED_IN_AT_KEY)
    if not isinstance(signed_in_at, (int, float)):
        return True
    age = timezone.now().timestamp() - signed_in_at
    return age >= timedelta(hours=settings.STAFF_SESSION_MAX_HOURS).total_seconds()


class StaffSessionLifetimeMiddleware:
    """Sign out a session STAFF_SESSION_MAX_HOURS after it signed in, or idle but
    for automatic requests. Goes after AuthenticationMiddleware; reads the
    session only when the request has one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            session = request.session
            if SESSION_KEY in session:
                if session_outlived(session) or session_idle(session):
                    logout(request)
                elif not is_automatic_request(request):
                    session[ACTIVE_AT_KEY] = timezone.now().timestamp()
        return self.get_response(request)
