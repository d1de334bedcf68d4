"""The real Celery worker, on the real Redis broker."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_process_answers_over_the_redis_broker(celery_worker_process):
    from cardinal.celery import app

    replies = app.control.ping(timeout=2)
    assert any(name.startswith("test-worker@") for reply in replies for name in reply)
    assert app.conf.broker_url.startswith("redis://")
    assert not app.conf.task_always_eager
