"""Processes started on the embedded defaults and on production settings: the
start-up itself, which no test in this process can stand in for."""

import subprocess
import sys

from tests.harness import ROOT
from tests.integration.processes import embedded_defaults_env


def test_embedded_defaults_need_no_secrets():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=embedded_defaults_env(DJANGO_SETTINGS_MODULE="cardinal.settings"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


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
