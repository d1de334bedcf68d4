"""The Celery application. Its configuration lives in settings (CELERY_*)."""

import os
from typing import Any

from celery import Celery, Task
from celery.worker.request import Request as CeleryRequest
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cardinal.settings")


class Request(CeleryRequest):
    """A task message in the worker whose acknowledgement, when the broker
    connection is gone, makes the worker reconnect instead of being forgotten.

    Celery hands kombu the connection errors to log and swallow when it acks or
    rejects a message (kombu.message.Message.ack_log_error: "Couldn't ack ...
    Connection refused"). The Redis transport then still counts the message as
    taken; with one message prefetched per pool process, once as many acks have
    failed as there are processes the worker never reads from Redis again, so it
    never learns that the connection dropped and hangs, alive, with nothing for
    scripts/keep-running to restart. Given no errors to swallow, the failed ack
    raises into the consumer's event loop, which reconnects on a fresh channel as
    after any connection loss. The message whose ack was lost is handed out again
    (restored by the old channel, or by Redis after CELERY_VISIBILITY_TIMEOUT):
    every task is safe to run twice.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "connection_errors": ()})


class AppTask(Task):
    """The base of every task of the project (shared_task included)."""

    Request = "cardinal.celery:Request"

    def before_start(self, task_id: str, args: tuple, kwargs: dict) -> None:
        """In the worker, before each task: its database connections are checked as
        Django checks them at the start of a request. The worker keeps them from one
        task to the next (settings.CELERY_DB_REUSE_MAX), and nothing else would
        notice one that failed (the database restarted) or outlived
        DATABASE_CONN_MAX_AGE: such a connection is closed, the others are health
        checked before their first query, and the task gets a working one. An eager
        task runs inside its caller, whose connection is not the task's to close."""
        if not self.request.is_eager:
            close_old_connections()


app = Celery("cardinal", task_cls=AppTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
