"""Integration tier: the real PostgreSQL and Redis, a real Celery worker process
and a real SMTP server on loopback (aiosmtpd). One worker and one SMTP server
serve the whole test session.
"""

import email
import os
import socket
import subprocess
import sys
import threading
import time
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MailSink:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self._lock = threading.Lock()
        self._messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self._messages.append(message)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[Message]:
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.05)
        return self.messages


@pytest.fixture(scope="session")
def smtp_server():
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    sink: MailSink = smtp_server.handler
    sink.clear()
    yield sink
    sink.clear()


def database_url() -> str:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.fail("integration tests need DATABASE_URL to name PostgreSQL (make test sets it)")
    conf = connection.settings_dict
    auth = conf["USER"] or "postgres"
    if conf["PASSWORD"]:
        auth += f":{conf['PASSWORD']}"
    return f"postgres://{auth}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{conf['NAME']}"


def service_env(smtp_server, **extra: str) -> dict[str, str]:
    """Environment for a process of ours that must share the test database."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        {
            "DATABASE_URL": database_url(),
            "REDIS_URL": os.environ["REDIS_URL"],
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_server.port),
            "EMAIL_USE_TLS": "0",
            "CELERY_DB_REUSE_MAX": "100",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


class WorkerProcess:
    def __init__(self, env: dict[str, str], log_path: Path):
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        from cardinal.celery import app

        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "cardinal", "worker",
                "--loglevel=INFO", "--pool=threads", "--concurrency=4",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "--hostname=test-worker@%h",
            ],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited; see {self.log_path}")
            if app.control.ping(timeout=0.5):
                return
        raise RuntimeError(f"the Celery worker did not answer; see {self.log_path}")

    def stop(self, sig: int | None = None) -> None:
        if self.process and self.process.poll() is None:
            if sig is None:
                self.process.terminate()
            else:
                self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, smtp_server):
    """A real `celery worker` process on the real Redis and the test database."""
    from cardinal.celery import app

    app.control.purge()
    log_dir = ROOT / "test-artifacts"
    log_dir.mkdir(exist_ok=True)
    worker = WorkerProcess(service_env(smtp_server), log_dir / "celery-worker.log")
    worker.start()
    yield worker
    worker.stop()
