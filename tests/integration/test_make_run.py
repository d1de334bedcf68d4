"""`make run` itself, on a fresh SQLite file: with PORT=N the links it puts in
staff mail use port N (its SITE_URL follows PORT unless SITE_URL is set), as does
the enrolment link `make staff PORT=N` prints, and what it prints while serving
holds no warning, the broker's included."""

import re
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.harness import ManagedProcess, free_port, wait_until
from tests.integration.processes import WebClient, embedded_defaults_env, open_form, send_form

# A log line of the site's loggers at WARNING or above ("2026-12-01 12:42:46,059
# WARNING kombu.connection ..."); runserver's own banner is not a log record.
LOGGED_PROBLEM = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ (WARNING|ERROR|CRITICAL) ", re.MULTILINE)


def make_run(database: Path, port: int, logs: Path, **env: str) -> ManagedProcess:
    """`make run PORT=port` on `database`, ready once it answers. The virtualenv is
    taken as installed (make would otherwise install the locks if they are newer)."""
    environment = embedded_defaults_env(
        DATABASE_URL=f"sqlite:///{database}", ADMISSIONS_MIN_FILL_SECONDS="0", **env
    )
    if "SITE_URL" not in env:
        environment.pop("SITE_URL", None)
    command = ["make", "--no-print-directory", "--assume-old=.venv/.runtime", "run"]
    server = ManagedProcess(f"make-run-{port}", [*command, f"PORT={port}"], environment, logs=logs)
    server.start()

    def answers() -> bool:
        server.check()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        wait_until(answers, 120, interval=0.3, what="make run to answer")
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("make-run") / "fresh.sqlite3"


@pytest.fixture(scope="module")
def run_on_a_port(database, tmp_path_factory):
    port = free_port()
    server = make_run(database, port, tmp_path_factory.mktemp("make-run-logs"))
    try:
        yield server, port
    finally:
        server.stop()


def test_with_port_n_the_mail_links_use_port_n(run_on_a_port):
    server, port = run_on_a_port
    mark = server.log_mark()
    client = WebClient(f"http://127.0.0.1:{port}", address="198.51.100.7", scheme="http")
    status, _ = send_form(client, open_form(client))
    assert status == 302

    def mailed() -> str:
        log = server.log_since(mark)
        return log if "/admin/admissions/intake/" in log else ""

    log = wait_until(mailed, 20, what="the notification on the console")
    links = re.findall(r"https?://[^\s/]+/admin/admissions/intake/", log)
    assert links and set(links) == {f"http://127.0.0.1:{port}/admin/admissions/intake/"}


def test_make_run_prints_no_warning_while_it_serves_and_queues_tasks(run_on_a_port):
    server, port = run_on_a_port
    client = WebClient(f"http://127.0.0.1:{port}", address="198.51.100.8", scheme="http")
    assert send_form(client, open_form(client))[0] == 302  # queues the notification task
    log = server.log_since(0)
    assert "/admin/admissions/intake/" in log  # the task ran and its mail printed
    assert not LOGGED_PROBLEM.findall(log), [
        line for line in log.splitlines() if LOGGED_PROBLEM.match(line)
    ]


def test_a_site_url_that_is_set_is_kept(database, tmp_path):
    port = free_port()
    server = make_run(database, port, tmp_path, SITE_URL="https://staging.example.org")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/sitemap.xml", timeout=10) as r:
            sitemap = r.read().decode()
    finally:
        server.stop()
    assert "<loc>https://staging.example.org/admissions/</loc>" in sitemap
    assert "127.0.0.1" not in sitemap


def test_make_staff_prints_an_enrolment_link_on_port_n(tmp_path):
    """`make staff PORT=N` hands over a link to the site `make run PORT=N` serves."""

    port = free_port()
    environment = embedded_defaults_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'staff.sqlite3'}",
        DJANGO_STAFF_PASSWORD="a long and unusual pass phrase 7",
    )
    environment.pop("SITE_URL", None)
    command = ["make", "--no-print-directory", "--assume-old=.venv/.runtime", "staff"]
    done = subprocess.run(
        [*command, f"PORT={port}"],
        input="ana\nana@example.org\n",
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    assert "Created staff account 'ana'" in done.stdout
    assert f"http://127.0.0.1:{port}/" in done.stdout
    assert "127.0.0.1:8000" not in done.stdout
