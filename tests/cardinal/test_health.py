"""Liveness and readiness endpoints."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ready_when_services_are_up(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_readyz_names_the_broker_when_redis_is_unreachable():
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0")
    env.pop("DATABASE_URL", None)  # the embedded SQLite database
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/readyz', HTTP_HOST='127.0.0.1');"
        "print(r.status_code); print(r.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "cardinal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-2:]
    assert status == "503"
    assert '"broker": "unavailable"' in body
    assert "broker" in body.split('"failed":')[1]
