"""deploy/gunicorn.conf.py with the environment a deployment gives it: a blank
variable (as .env.example leaves WEB_CONCURRENCY, or as a compose file passes one
it has no value for) means the file's default; a count that is not a whole number
stops gunicorn with one line naming the variable. scripts/gunicorn, which the
Procfile, the compose file and the image start, lets WEB_CONCURRENCY get that far:
gunicorn itself reads it before any config file."""

import multiprocessing
import re
import runpy
import subprocess

import pytest

from tests.cardinal.test_env_example import GUNICORN_CONF, ROOT, python_variables
from tests.harness import child_env

COUNTS = ["WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "GUNICORN_MAX_REQUESTS"]
DEFAULTS = {
    "bind": "127.0.0.1:8000",
    "workers": max(2, multiprocessing.cpu_count()),
    "timeout": 30,
    "max_requests": 200000,
    "max_requests_jitter": 20000,
    "forwarded_allow_ips": "127.0.0.1",
    "accesslog": "-",
    "loglevel": "info",
}


def load_config(monkeypatch, **environment: str) -> dict:
    """The settings the config file makes with none of its variables set but these."""
    for name in python_variables(GUNICORN_CONF):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    config = runpy.run_path(str(GUNICORN_CONF))
    return {name: config[name] for name in DEFAULTS}


def test_blank_variables_give_the_defaults(monkeypatch):
    assert load_config(monkeypatch) == DEFAULTS
    blank = dict.fromkeys(python_variables(GUNICORN_CONF), "")
    assert load_config(monkeypatch, **blank) == DEFAULTS
    assert load_config(monkeypatch, **dict.fromkeys(blank, "  ")) == DEFAULTS


def test_set_variables_are_used(monkeypatch):
    config = load_config(
        monkeypatch,
        GUNICORN_BIND="10.0.0.5:9000",
        WEB_CONCURRENCY="3",
        GUNICORN_TIMEOUT="0",
        GUNICORN_MAX_REQUESTS="1000",
        GUNICORN_LOG_LEVEL="warning",
    )
    assert config["bind"] == "10.0.0.5:9000"
    assert (config["workers"], config["timeout"]) == (3, 0)
    assert (config["max_requests"], config["max_requests_jitter"]) == (1000, 100)
    assert config["loglevel"] == "warning"


@pytest.mark.parametrize("name", COUNTS)
@pytest.mark.parametrize("value", ["two", "2.5", "-1"])
def test_a_count_that_is_not_a_whole_number_stops_with_its_name(monkeypatch, name, value):
    with pytest.raises(SystemExit) as stopped:
        load_config(monkeypatch, **{name: value})
    message = str(stopped.value.code)
    assert message.startswith(f"{name} must be a whole number") and repr(value) in message
    assert "\n" not in message


def test_no_workers_is_refused(monkeypatch):
    with pytest.raises(SystemExit, match="^WEB_CONCURRENCY must be a whole number, 1 or more"):
        load_config(monkeypatch, WEB_CONCURRENCY="0")


def run_gunicorn(web_concurrency: str) -> subprocess.CompletedProcess:
    """scripts/gunicorn as the Procfile starts it, asked for its settings."""
    command = [
        "scripts/gunicorn",
        "cardinal.wsgi",
        "-c",
        "deploy/gunicorn.conf.py",
        "--print-config",
    ]
    env = child_env(drop=python_variables(GUNICORN_CONF), DJANGO_DEBUG="1")
    env["WEB_CONCURRENCY"] = web_concurrency
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_gunicorn_starts_with_a_blank_web_concurrency():
    result = run_gunicorn("")
    assert result.returncode == 0, result.stderr
    workers = re.search(r"^workers\s*=\s*(\d+)$", result.stdout, re.MULTILINE)
    assert workers and int(workers.group(1)) == DEFAULTS["workers"]


def test_gunicorn_names_a_web_concurrency_that_is_not_a_number_in_one_line():
    result = run_gunicorn("four")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"WEB_CONCURRENCY must be a whole number, 1 or more (or blank for {DEFAULTS['workers']}), "
        "not 'four'"
    ]
