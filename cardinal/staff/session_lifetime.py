"""An absolute lifetime for staff sessions, besides the idle timeout.

SESSION_COOKIE_AGE ends a session left idle; a session in use would otherwise
last for ever. The sign-in time is kept in the session (at every sign-in, by a
user_logged_in receiver), and STAFF_SESSION_MAX_HOURS after it the session is
ended, however busy: the next request is signed out and meets the sign-in page.
A signed-in session with no sign-in time (one from before this rule) is ended too.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.utils import timezone

SIGNED_IN_AT_KEY = "staff_signed_in_at"


def session_mark_signed_in(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: note when this session signed in."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT_KEY] = timezone.now().timestamp()


def session_outlived(session) -> bool:
    """Has this signed-in session passed its absolute lifetime?"""
    signed_in_at = session.get(SIGNED_IN_AT_KEY)
    if not isinstance(signed_in_at, (int, float)):
        return True
    age = timezone.now().timestamp() - signed_in_at
    return age >= timedelta(hours=settings.STAFF_SESSION_MAX_HOURS).total_seconds()


class StaffSessionLifetimeMiddleware:
    """Sign out a session STAFF_SESSION_MAX_HOURS after it signed in. Goes after
    AuthenticationMiddleware; reads the session only when the request has one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            session = request.session
            if SESSION_KEY in session and session_outlived(session):
                logout(request)
        return self.get_response(request)
