"""The site runs on embedded defaults alone: SQLite, no Redis, no SMTP."""

import subprocess
import sys
import urllib.request

from tests.harness import ROOT, ManagedProcess, free_port, wait_until
from tests.integration.processes import embedded_defaults_env


def test_fresh_sqlite_site_migrates_loads_content_and_serves_home(tmp_path):
    env = embedded_defaults_env(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    manage = [sys.executable, "manage.py"]

    def run(*args: str) -> None:
        result = subprocess.run(
            [*manage, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr

    run("migrate", "--noinput")
    run("load_guides")
    port = free_port()
    server = ManagedProcess(
        f"runserver-{port}", [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"], env
    )
    server.start()
    try:

        def home() -> tuple[int, str] | None:
            server.check()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    return response.status, response.read().decode()
            except OSError:
                return None

        status, body = wait_until(home, 60, interval=0.2, what="runserver to serve the home page")
        assert status == 200
        assert "Cardinal Recovery" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/medications/", timeout=5) as r:
            assert "Baclofen" in r.read().decode()
    finally:
        server.stop()
