"""The Celery application. Its configuration lives in settings (CELERY_*)."""

import os
from typing import Any

from celery import Celery, Task
from celery.worker.request import Request as CeleryRequest

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


app = Celery("cardinal", task_cls=AppTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
