"""Configuration from the environment: the services the tests run on, and the
settings a process reads from its environment (tests/cardinal/helpers.py).
Starting real processes on the embedded defaults is in tests/integration."""

import os
import uuid

import pytest
import redis
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from tests.cardinal.helpers import PRODUCTION_SECRETS, settings_from_env


def test_tests_run_on_postgresql_when_database_url_names_it():
    url = os.environ.get("DATABASE_URL", "")
    if os.environ.get("CI"):
        assert url.startswith("postgres"), "CI must run the suite against PostgreSQL"
    if url.startswith("postgres"):
        assert connection.vendor == "postgresql"
    else:
        assert connection.vendor == "sqlite"


def test_tests_use_redis_for_cache_and_broker_when_redis_url_is_set():
    from cardinal.celery import app

    url = os.environ.get("REDIS_URL", "")
    if os.environ.get("CI"):
        assert url.startswith("redis://"), "CI must run the suite against Redis"
    if not url:
        assert app.conf.broker_url == "memory://"
        return
    server = redis.Redis.from_url(url)
    probe = f"settings-probe-{uuid.uuid4().hex}"
    eager = app.conf.task_always_eager
    try:
        # What the cache stores is in that Redis database...
        cache.set(probe, "stored", timeout=60)
        assert list(server.scan_iter(f"*{probe}")), "the cache did not write to Redis"
        # ...and a task message sent through the broker waits there in its queue.
        app.conf.task_always_eager = False  # sent, as in production
        app.send_task("settings.probe", queue=probe)
        assert server.llen(probe) == 1
    finally:
        app.conf.task_always_eager = eager
        cache.delete(probe)
        server.delete(probe)
        server.close()


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "FIELD_ENCRYPTION_KEY", "FIELD_HASH_KEY"])
def test_debug_off_without_a_secret_is_a_clear_startup_error(missing):
    env = {"DJANGO_DEBUG": "0", **PRODUCTION_SECRETS}
    assert settings_from_env(**env)["SECRET_KEY"] == PRODUCTION_SECRETS["DJANGO_SECRET_KEY"]

    del env[missing]
    with pytest.raises(ImproperlyConfigured) as failure:
        settings_from_env(**env)
    assert f"{missing} must be set when DJANGO_DEBUG is off" in str(failure.value)


def test_server_side_cursors_are_turned_off_for_pgbouncer_from_the_environment():
    def cursors_off(**env: str) -> bool:
        settings = settings_from_env(DJANGO_DEBUG="1", **env)
        return settings["DATABASES"]["default"]["DISABLE_SERVER_SIDE_CURSORS"]

    assert cursors_off() is False
    assert cursors_off(DATABASE_DISABLE_SERVER_SIDE_CURSORS="1") is True
    assert cursors_off(DATABASE_DISABLE_SERVER_SIDE_CURSORS="off") is False
    with pytest.raises(ImproperlyConfigured, match="DATABASE_DISABLE_SERVER_SIDE_CURSORS"):
        cursors_off(DATABASE_DISABLE_SERVER_SIDE_CURSORS="pgbouncer")


def test_beat_sends_only_while_it_holds_its_lock_for_the_time_the_environment_gives(tmp_path):
    from cardinal.beat import SingleBeatScheduler
    from cardinal.celery import app

    local = settings_from_env(DJANGO_DEBUG="1")
    assert local["CELERY_BEAT_SCHEDULER"] == "cardinal.beat:SingleBeatScheduler"
    assert local["CELERY_BEAT_LOCK_SECONDS"] == 30
    chosen = settings_from_env(DJANGO_DEBUG="1", CELERY_BEAT_LOCK_SECONDS="12")
    assert chosen["CELERY_BEAT_LOCK_SECONDS"] == 12
    with pytest.raises(ImproperlyConfigured, match="CELERY_BEAT_LOCK_SECONDS must be 3 or more"):
        settings_from_env(DJANGO_DEBUG="1", CELERY_BEAT_LOCK_SECONDS="1")

    # `celery beat` builds this scheduler, which reads the lock's time from the settings.
    assert app.conf.beat_scheduler == "cardinal.beat:SingleBeatScheduler"
    scheduler = SingleBeatScheduler(app=app, schedule_filename=str(tmp_path / "s"), lazy=True)
    assert scheduler.lock_seconds == 30
