"""Processes started on the embedded defaults and on production settings: the
start-up itself, which no test in this process can stand in for."""

import subprocess
import sys

from tests.harness import ROOT
from tests.integration.processes import embedded_defaults_env


def django_setup(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "cardinal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_embedded_defaults_need_no_secrets():
    result = django_setup(embedded_defaults_env())
    assert result.returncode == 0, result.stderr


def test_a_process_with_no_configuration_starts_as_production_and_stops_for_the_secrets():
    env = embedded_defaults_env()
    del env["DJANGO_DEBUG"]
    result = django_setup(env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_make_run_and_make_staff_ask_for_debug_on_the_embedded_defaults():
    result = subprocess.run(
        ["make", "--dry-run", "run", "staff"],
        cwd=ROOT,
        env=embedded_defaults_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    commands = [line for line in result.stdout.splitlines() if "manage.py" in line]
    assert len(commands) == 5  # migrate, load_guides, runserver; migrate, create_staff
    for command in commands:
        assert command.startswith("DJANGO_DEBUG=1 "), command


def test_check_deploy_reports_no_issues():
    result = subprocess.run(
        [sys.executable, "scripts/check_deploy.py"],
        cwd=ROOT,
        env=embedded_defaults_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout
