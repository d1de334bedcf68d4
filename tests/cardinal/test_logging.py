"""Errors are logged to the console only: nothing mails a traceback with the
request (and its form values) attached, even once ADMINS is set."""

import io
import logging

import pytest
from django.urls import path

PERSONAL_VALUE = "Zebulonia"


def failing_view(request):
    raise RuntimeError("the view failed")


urlpatterns = [path("fails/", failing_view)]


@pytest.fixture
def django_log():
    """What the handlers of the `django` logger write."""
    stream = io.StringIO()
    handlers = logging.getLogger("django").handlers
    streams = [handler for handler in handlers if isinstance(handler, logging.StreamHandler)]
    # Swapped by hand: setStream() flushes the old stream, which may be a capture
    # file that pytest has closed since logging was configured.
    previous = [handler.stream for handler in streams]
    for handler in streams:
        handler.stream = stream
    yield stream
    for handler, old in zip(streams, previous, strict=True):
        handler.stream = old


@pytest.mark.urls("tests.cardinal.test_logging")
def test_a_server_error_mails_nobody_and_logs_no_form_values(
    client, settings, mailoutbox, django_log
):
    settings.ADMINS = [("Operations", "ops@example.org")]
    client.raise_request_exception = False
    response = client.post("/fails/", {"first_name": PERSONAL_VALUE, "note": "evenings only"})

    assert response.status_code == 500
    assert mailoutbox == []
    logged = django_log.getvalue()
    assert "ERROR django.request Internal Server Error: /fails/" in logged
    assert "RuntimeError: the view failed" in logged
    assert PERSONAL_VALUE not in logged and "evenings only" not in logged
