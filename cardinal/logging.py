"""Logging helpers: keep request data out of log records."""

import logging


class DropRequestData(logging.Filter):
    """Remove the request object Django attaches to some records.

    Django's request loggers attach the request so handlers can report it; a
    handler that did (an error mailer, a reporter) could include form values.
    Records keep their message (method, path, status) and lose the request.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request"):
            record.request = None
        return True
