"""Staff sign-in lockout: per (username, address), and per username from anywhere.

django-axes counts failures per (username, client address) and locks that pair
at AXES_FAILURE_LIMIT. It compares every lockout parameter with that one limit,
so adding "username" to AXES_LOCKOUT_PARAMETERS would lock an account after 5
failures from anywhere, letting anyone lock any colleague out. This handler adds
a second, higher limit instead: STAFF_USERNAME_FAILURE_LIMIT failures for one
username from all addresses together, within AXES_COOLOFF_TIME of the last
failure from each, lock that username. Both counts come from the same axes
records, so `manage.py axes_reset_username <name>` (or deleting its rows under
"Sign-in lockouts" in the admin) unlocks both, and a success resets only its own address's count.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum


class StaffLockoutHandler(AxesDatabaseHandler):
    def username_failures(self, request, credentials: dict | None = None) -> int:
        """Recent failures for the request's username, from every address."""
        username = get_client_username(request, credentials)
        if not username:
            return 0
        attempts = AccessAttempt.objects.filter(username=username)
        if settings.AXES_COOLOFF_TIME:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def username_locked(self, request, credentials: dict | None = None) -> bool:
        return self.username_failures(request, credentials) >= settings.STAFF_USERNAME_FAILURE_LIMIT

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or self.username_locked(request, credentials)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or request.axes_locked_out:
            return
        if self.is_whitelisted(request, credentials) or not self.username_locked(
            request, credentials
        ):
            return
        request.axes_locked_out = True
        request.axes_credentials = credentials
        user_locked_out.send(
            "axes",
            request=request,
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        )
