"""Fixtures shared by every test tier."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _task_mode(request, settings):
    """Unit tests run tasks in-process; integration tests send them to the broker."""
    from cardinal.celery import app

    eager = request.node.get_closest_marker("integration") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    settings.CELERY_TASK_ALWAYS_EAGER = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (rate limits, cached pages)."""
    from django.core.cache import cache

    cache.clear()
    yield
