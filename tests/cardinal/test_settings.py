"""Configuration from the environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _import_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "cardinal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _clean_env() -> dict[str, str]:
    drop = {
        "DJANGO_SECRET_KEY",
        "FIELD_ENCRYPTION_KEY",
        "FIELD_HASH_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "EMAIL_HOST",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    return {k: v for k, v in os.environ.items() if k not in drop}


def test_tests_run_on_postgresql_when_database_url_names_it():
    url = os.environ.get("DATABASE_URL", "")
    if os.environ.get("CI"):
        assert url.startswith("postgres"), "CI must run the suite against PostgreSQL"
    if url.startswith("postgres"):
        assert connection.vendor == "postgresql"
    else:
        assert connection.vendor == "sqlite"


def test_tests_use_redis_for_cache_and_broker_when_redis_url_is_set(settings):
    from cardinal.celery import app

    url = os.environ.get("REDIS_URL", "")
    if os.environ.get("CI"):
        assert url.startswith("redis://"), "CI must run the suite against Redis"
    if url:
        assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
        assert app.conf.broker_url == url
    else:
        assert app.conf.broker_url == "memory://"


def test_embedded_defaults_need_no_secrets():
    result = _import_settings(_clean_env())
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "FIELD_ENCRYPTION_KEY", "FIELD_HASH_KEY"])
def test_debug_off_without_a_secret_is_a_clear_startup_error(missing):
    env = _clean_env()
    env.update(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "x" * 60,
            "FIELD_ENCRYPTION_KEY": "bG9jYWwtZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ=",
            "FIELD_HASH_KEY": "y" * 40,
        }
    )
    del env[missing]
    result = _import_settings(env)
    assert result.returncode != 0
    assert f"{missing} must be set when DJANGO_DEBUG is off" in result.stderr


def test_check_deploy_reports_no_issues():
    result = subprocess.run(
        [sys.executable, "scripts/check_deploy.py"],
        cwd=ROOT,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout
