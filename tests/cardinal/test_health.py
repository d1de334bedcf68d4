"""Liveness and readiness endpoints."""

import pytest

from cardinal import views
from tests.harness import free_port


@pytest.fixture(autouse=True)
def _fresh_readiness():
    """Each test runs the readiness checks itself, not the last test's result."""
    views.readiness_reset()
    yield
    views.readiness_reset()


@pytest.fixture
def clock(monkeypatch):
    """The readiness view's monotonic clock, standing still until moved."""
    now = [1000.0]
    monkeypatch.setattr(views, "monotonic", lambda: now[0])
    return now


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


@pytest.mark.django_db
def test_readyz_names_the_broker_and_the_cache_when_redis_is_unreachable(client, settings):
    from cardinal.celery import app

    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": unreachable,
        }
    }
    broker, eager = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = unreachable, False  # as in production
    try:
        response = client.get("/readyz")
    finally:
        app.conf.broker_url, app.conf.task_always_eager = broker, eager
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"] == {"database": "ok", "cache": "unavailable", "broker": "unavailable"}
    assert "broker" in body["failed"]


@pytest.mark.django_db
def test_readyz_runs_its_checks_at_most_once_a_second(client, clock, django_assert_num_queries):
    with django_assert_num_queries(1):  # the database check
        first = client.get("/readyz")
    with django_assert_num_queries(0):
        repeats = [client.get("/readyz") for _ in range(20)]
    assert {(r.status_code, r.content) for r in repeats} == {(200, first.content)}
    clock[0] += views.READINESS_TTL
    with django_assert_num_queries(1):
        assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_keeps_a_failure_for_the_second_too(client, clock, monkeypatch):
    calls = []

    def database_down():
        calls.append(clock[0])
        raise OSError("connection refused")

    monkeypatch.setitem(views.READINESS_CHECKS, "database", database_down)
    assert [client.get("/readyz").status_code for _ in range(10)] == [503] * 10
    assert len(calls) == 1
    clock[0] += views.READINESS_TTL
    monkeypatch.setitem(views.READINESS_CHECKS, "database", lambda: None)
    assert client.get("/readyz").status_code == 200
