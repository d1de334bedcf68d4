"""The staff marker: a cookie that tells the page caches a request is a signed-in
staff member's, so it skips them and gets the full stack (a renewed session).

A session cookie alone proves nothing (anyone can send `sessionid=x`), and
checking it would cost a session lookup on every guide request. The marker is an
HMAC of the session key under SECRET_KEY: the guide fast path
(education/page_cache.py) checks it without any I/O, so a forged or stale marker
gets the stored page. nginx (deploy/nginx/cardinal-proxy.conf) cannot check the
HMAC: it bypasses its micro-cache for any marker and rate-limits those requests.

StaffMarkerMiddleware sets the marker whenever a response sets the session cookie
of a signed-in staff member (sign-in, and every renewal), with the session
cookie's lifetime, and deletes it once the session has ended (sign-out, expiry).
It sits before SessionMiddleware in MIDDLEWARE, so it sees the session cookie that
middleware sets.
"""

import hmac

from django.conf import settings
from django.utils.crypto import salted_hmac

COOKIE_NAME = "staff"
_SALT = "cardinal.staff_marker"


def staff_marker_value(*, session_key: str) -> str:
    """The marker for the session with this key."""
    return salted_hmac(_SALT, session_key, algorithm="sha256").hexdigest()


def staff_marker_valid(request) -> bool:
    """Does the request carry the marker of the session cookie it sends?"""
    cookies = request.COOKIES
    marker = cookies.get(COOKIE_NAME)
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    if not marker or not session_key:
        return False
    return hmac.compare_digest(marker, staff_marker_value(session_key=session_key))


class StaffMarkerMiddleware:
    """Keep the marker in step with the session cookie of a staff member."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session_cookie = response.cookies.get(settings.SESSION_COOKIE_NAME)
        if session_cookie is None:
            return response  # the session cookie is unchanged, and so is the marker
        user = getattr(request, "user", None)
        if user is None:
            return response
        ending = session_cookie["max-age"] == 0 or not session_cookie.value
        if not ending and user.is_authenticated and user.is_staff:
            response.set_cookie(
                COOKIE_NAME,
                staff_marker_value(session_key=session_cookie.value),
                max_age=session_cookie["max-age"] or None,
                path="/",
                domain=settings.SESSION_COOKIE_DOMAIN,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        elif COOKIE_NAME in request.COOKIES:
            response.delete_cookie(
                COOKIE_NAME, path="/", domain=settings.SESSION_COOKIE_DOMAIN, samesite="Lax"
            )
        return response
