"""Site-wide middleware."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.permissions_policy = settings.PERMISSIONS_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        return response


class DatabaseUnavailableMiddleware:
    """Answer with the friendly 503 page when the database cannot be reached.

    The page shows the helpline, so a person can still reach us by phone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            from cardinal.views import service_unavailable

            logger.error("database unavailable while serving %s %s", request.method, request.path)
            return service_unavailable(request)
        return None
