"""The real Celery worker, on the real Redis broker."""

import pytest

from tests.harness import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_process_runs_tasks_over_the_redis_broker(celery_worker_process):
    from cardinal.celery import app

    mark = celery_worker_process.log_mark()
    task = app.send_task("cardinal.tasks.sessions_purge_expired")
    done = f"sessions_purge_expired[{task.id}] succeeded"  # in this worker process's log
    wait_until(lambda: done in celery_worker_process.log_since(mark), 20, what="the task to run")
    assert app.conf.broker_url.startswith("redis://")
    assert not app.conf.task_always_eager


def test_worker_takes_no_remote_control_commands(celery_worker_process):
    """settings.CELERY_WORKER_ENABLE_REMOTE_CONTROL: nobody answers a ping."""
    from cardinal.celery import app

    assert app.control.ping(timeout=1) == []
