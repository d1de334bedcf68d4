"""The site runs on embedded defaults alone: SQLite, no Redis, no SMTP.

One fresh SQLite database and one `runserver` (what `make run` starts) serve the
module. Only the intake form's abuse limits are lifted, for the test of many
people at once: the database settings are the embedded ones.
"""

import contextlib
import re
import sqlite3
import subprocess
import sys
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.admissions.helpers import PERSONAL, PHONE_E164
from tests.harness import ROOT, ManagedProcess, free_port, wait_until
from tests.integration.processes import WebClient, embedded_defaults_env, open_form, send_form

MANAGE = [sys.executable, "manage.py"]
PEOPLE = 100
AT_ONCE = 20


@dataclass
class EmbeddedSite:
    url: str
    database: Path
    server: ManagedProcess

    def intake_references(self) -> set[str]:
        """The references of the intakes in the SQLite file, read from outside the site."""
        with contextlib.closing(sqlite3.connect(self.database)) as db:
            rows = db.execute("SELECT reference FROM admissions_intake").fetchall()
        return {reference for (reference,) in rows}


@pytest.fixture(scope="module")
def embedded_site(tmp_path_factory):
    """`make run`'s steps on a fresh SQLite file: migrate, load the guides, runserver."""
    database = tmp_path_factory.mktemp("embedded") / "fresh.sqlite3"
    env = embedded_defaults_env(
        DATABASE_URL=f"sqlite:///{database}",
        # A hundred people from twenty addresses within seconds: no fill-time wait,
        # no per-address or per-minute ceiling (the limits have tests of their own).
        ADMISSIONS_MIN_FILL_SECONDS="0",
        ADMISSIONS_RATE_LIMIT="1000/h",
        ADMISSIONS_POST_RATE_LIMIT="1000/h",
        ADMISSIONS_GLOBAL_LIMIT_PER_MINUTE="0",
    )

    def run(*args: str) -> None:
        result = subprocess.run(
            [*MANAGE, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr

    run("migrate", "--noinput")
    run("load_guides")
    port = free_port()
    server = ManagedProcess(
        f"runserver-{port}", [*MANAGE, "runserver", "--noreload", f"127.0.0.1:{port}"], env
    )
    server.start()
    try:

        def home() -> bool:
            server.check()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    return r.status == 200
            except OSError:
                return False

        wait_until(home, 60, interval=0.2, what="runserver to answer")
        yield EmbeddedSite(url=f"http://127.0.0.1:{port}", database=database, server=server)
    finally:
        server.stop()


def test_fresh_sqlite_site_migrates_loads_content_and_serves_home(embedded_site):
    with urllib.request.urlopen(f"{embedded_site.url}/", timeout=5) as response:
        assert response.status == 200
        assert "Cardinal Recovery" in response.read().decode()
    with urllib.request.urlopen(f"{embedded_site.url}/medications/", timeout=5) as response:
        assert "Baclofen" in response.read().decode()


def test_twenty_people_at_once_on_sqlite_are_all_saved_and_none_turned_away(embedded_site):
    """SQLite lets one writer in at a time: the others must wait their turn (an
    immediate transaction and a busy timeout), never meet "database unavailable"."""
    before = embedded_site.intake_references()
    clients = [
        WebClient(embedded_site.url, address=f"198.51.100.{n % AT_ONCE + 1}", scheme="http")
        for n in range(PEOPLE)
    ]

    def visit(client: WebClient) -> tuple[int, str]:
        return send_form(client, open_form(client))

    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        results = list(pool.map(visit, clients))

    statuses = Counter(status for status, _ in results)
    assert statuses == {302: PEOPLE}, statuses
    shown = {reference for _, reference in results}
    assert len(shown) == PEOPLE
    assert embedded_site.intake_references() - before == shown


def test_with_no_staff_account_an_intake_prints_the_oncall_notification(embedded_site):
    """`make run` before `make staff`: the intake is mailed to the default on-call
    inbox, which the console shows, with the reference and the admin link only."""
    mark = embedded_site.server.log_mark()
    client = WebClient(embedded_site.url, address="198.51.100.200", scheme="http")
    status, reference = send_form(client, open_form(client))
    assert status == 302

    def printed() -> str:
        log = embedded_site.server.log_since(mark)
        return log if "admin/admissions/intake/" in log else ""

    log = wait_until(printed, 20, what="the notification on the console")
    assert "To: on-call@localhost" in log
    assert f"Subject: Intake {reference} waiting: " in log  # nobody on duty, or closed
    assert "nobody was on duty" in log
    assert re.search(r"http://127\.0\.0\.1:8000/admin/admissions/intake/\d+/change/", log)
    for value in [*PERSONAL.values(), PHONE_E164]:
        assert value not in log, value
