"""SMTP with one connection kept open per thread of a process (EMAIL_BACKEND).

Django's SMTP backend connects, greets, sends and quits for every send_mail():
for the Celery worker, which mails a navigator for each intake, that connection
cost as much CPU as the rest of the task. This backend keeps the connection of
each thread (a Celery pool process or thread, a gunicorn worker) and sends the
next mail over it. A connection is replaced when it fails, after MAX_MESSAGES
mails, and when it has been idle longer than IDLE_SECONDS and does not answer a
NOOP; a mail that fails on a kept connection (the server closed it meanwhile) is
sent again once over a new one, before anything else can have been accepted.
Any other error closes the connection and propagates (the task retries).
"""

import os
import smtplib
import threading
import time

from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

# Errors of a connection the server has closed or reset while it was kept.
STALE_ERRORS = (smtplib.SMTPServerDisconnected, ConnectionError)


class _Kept(threading.local):
    connection: smtplib.SMTP | None = None
    pid = 0
    sent = 0
    last_used = 0.0


_kept = _Kept()


def _drop() -> None:
    """Close this thread's kept connection, whatever state it is in."""
    connection, _kept.connection = _kept.connection, None
    if connection is not None and _kept.pid == os.getpid():
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()


class KeptConnectionBackend(SMTPBackend):
    MAX_MESSAGES = 500
    IDLE_SECONDS = 30.0

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        with self._lock:
            reused = self._take()
            if self.connection is None:  # fail_silently and the server is away
                return 0
            try:
                sent = super().send_messages(email_messages)
            except STALE_ERRORS:
                if not reused:
                    _drop()
                    raise
                _drop()
                self._take()
                if _kept.connection is None:  # fail_silently, and no new connection
                    return 0
                try:
                    sent = super().send_messages(email_messages)
                except BaseException:
                    _drop()
                    raise
            except BaseException:
                _drop()
                raise
            finally:
                self.connection = None  # the thread's, not this instance's to close
            _kept.sent += len(email_messages)
            _kept.last_used = time.monotonic()
            if _kept.sent >= self.MAX_MESSAGES:
                _drop()
        return sent

    def _take(self) -> bool:
        """Put this thread's connection on the backend, opening one if there is none
        (or it belongs to a parent process, or it was idle and is gone); whether an
        existing one was taken."""
        if _kept.connection is not None and _kept.pid != os.getpid():
            _kept.connection = None  # copied by fork: the parent's socket
        if _kept.connection is not None and time.monotonic() - _kept.last_used > self.IDLE_SECONDS:
            try:
                if _kept.connection.noop()[0] != 250:
                    _drop()
            except (smtplib.SMTPException, OSError):
                _drop()
        if _kept.connection is not None:
            self.connection = _kept.connection
            return True
        self.connection = None
        if self.open():
            _kept.connection, _kept.pid, _kept.sent = self.connection, os.getpid(), 0
            _kept.last_used = time.monotonic()
        return False
