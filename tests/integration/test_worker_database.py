"""The worker's database connections, on the worker as deploy/Procfile runs it
(prefork, two pool processes), debug off, on the test database and a Redis server
of its own. Its connections carry an application name of their own, so that
PostgreSQL's pg_stat_activity tells them from everyone else's.

- settings.CELERY_DB_REUSE_MAX: a pool process keeps its connection from one task
  to the next instead of opening one for each;
- cardinal.celery.AppTask.before_start: a kept connection that the database
  dropped is replaced before the next task, which runs.
"""

import pytest
from celery import Celery
from django.db import connection

from tests.harness import wait_until
from tests.integration.processes import CeleryWorker, RedisServer, broker_idle, database_url
from tests.integration.processes import production_env as production_settings

pytestmark = pytest.mark.django_db(transaction=True)

APPLICATION = "cardinal-worker-connections-test"
POOL_PROCESSES = 2  # --concurrency in deploy/Procfile
TASK = "cardinal.tasks.sessions_purge_expired"  # a task that reads and writes the database
TASKS = 12


@pytest.fixture(scope="module")
def stack(django_db_setup):
    redis = RedisServer()
    redis.start()
    env = production_settings(
        REDIS_URL=redis.url, DATABASE_URL=f"{database_url()}?application_name={APPLICATION}"
    )
    worker = CeleryWorker(env, name=f"worker-connections-{redis.port}")
    try:
        worker.start()
        yield redis, worker
    finally:
        worker.stop()
        redis.stop()


def worker_backends() -> set[tuple[int, str]]:
    """The worker's database connections now: (server process id, start time) each."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid, backend_start::text FROM pg_stat_activity WHERE application_name = %s",
            [APPLICATION],
        )
        return set(cursor.fetchall())


def run_task(stack) -> str:
    """Queue the task on the stack's Redis and wait until it has run and its message
    is acknowledged (so the task and whatever the worker does after it are over).
    The result line the worker logged for it."""
    redis, worker = stack
    mark = worker.log_mark()
    app = Celery("web", broker=redis.url, set_as_current=False)
    try:
        task_id = app.send_task(TASK).id
    finally:
        app.close()
    line = f"[{task_id}] "

    def finished():
        done = [text for text in worker.log_since(mark).splitlines() if line in text]
        ended = [text for text in done if "succeeded" in text or "raised" in text]
        return ended and broker_idle(redis.url) and ended[0]

    return wait_until(finished, 30, what=f"task {task_id} to finish")


def test_the_worker_keeps_its_database_connection_from_one_task_to_the_next(stack):
    seen = []
    for _ in range(TASKS):
        assert "succeeded" in run_task(stack)
        # After the task: its connection stays open, waiting for the next one.
        seen.append(wait_until(worker_backends, 5, what="the worker's connection"))
    # Twelve tasks, and never more connections than pool processes: no task opened
    # a connection of its own.
    assert 1 <= len(set().union(*seen)) <= POOL_PROCESSES


def test_a_connection_the_database_dropped_is_replaced_before_the_next_task(stack):
    for _ in range(POOL_PROCESSES * 2):
        run_task(stack)
    dropped = wait_until(worker_backends, 5, what="the worker's connections")
    with connection.cursor() as cursor:
        for pid, _ in dropped:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    wait_until(lambda: not worker_backends() & dropped, 5, what="the connections to end")

    # Each pool process holds a dead connection now; every task still runs.
    for _ in range(TASKS):
        result = run_task(stack)
        assert "succeeded" in result, result
    assert worker_backends() and not worker_backends() & dropped
