"""`make run` (no REDIS_URL) runs tasks in-process on the in-memory broker, and
queuing one prints no broker warning."""

import logging

from celery import Celery

from tests.cardinal.helpers import settings_from_env


def test_a_task_queued_on_the_embedded_defaults_logs_no_broker_warning(caplog):
    embedded = settings_from_env(DJANGO_DEBUG="1")
    assert embedded["CELERY_TASK_ALWAYS_EAGER"] is True
    app = Celery("embedded-defaults", set_as_current=False)
    app.conf.update(
        broker_url=embedded["CELERY_BROKER_URL"],
        task_always_eager=embedded["CELERY_TASK_ALWAYS_EAGER"],
        task_serializer=embedded["CELERY_TASK_SERIALIZER"],
        accept_content=embedded["CELERY_ACCEPT_CONTENT"],
    )

    @app.task
    def double(number: int) -> int:
        return 2 * number

    with caplog.at_level(logging.DEBUG):
        assert double.delay(21).get() == 42
    warnings = [
        record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING
    ]
    assert warnings == []
