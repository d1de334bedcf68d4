"""Integration tier: the real PostgreSQL and Redis, a real Celery worker process
and a real SMTP server on loopback (aiosmtpd). One worker and one SMTP server
serve the whole test session.
"""

import os
import sys

import pytest

from tests.harness import SmtpSink, child_env
from tests.integration.processes import SUITE_HOURS, CeleryWorker, database_url


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def smtp_server():
    sink = SmtpSink().up()
    yield sink
    sink.down()


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()


def service_env(smtp_server: SmtpSink) -> dict[str, str]:
    """Environment for a process of ours that must share the test database."""
    return child_env(
        DATABASE_URL=database_url(),
        REDIS_URL=os.environ["REDIS_URL"],
        ADMISSIONS_HOURS=SUITE_HOURS,
        **smtp_server.env,
    )


# Four threads, so that copies of one task race for its row.
WORKER = [
    sys.executable, "-m", "celery", "-A", "cardinal", "worker",
    "--loglevel=INFO", "--pool=threads", "--concurrency=4",
    "--without-gossip", "--without-mingle", "--without-heartbeat",
    "--hostname=test-worker@%h",
]  # fmt: skip


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, smtp_server):
    """A real `celery worker` process on the real Redis and the test database."""
    from cardinal.celery import app

    app.control.purge()
    worker = CeleryWorker(service_env(smtp_server), name="celery-worker", command=WORKER)
    worker.start()
    yield worker
    worker.stop()
