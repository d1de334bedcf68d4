"""Liveness and readiness endpoints."""

import pytest

from tests.harness import free_port


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
