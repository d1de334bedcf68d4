"""The intake form's own gunicorn pool (deploy/Procfile's "intake"), which the
shipped nginx config sends the form's requests to: a flood of intake posts queues
there, at a lower CPU priority, and never in front of the readers of the guides
(bench/README.md, "A flood does not starve readers")."""

import os
import shutil
import threading
from pathlib import Path

import pytest

from tests.integration.conftest import service_env
from tests.integration.nginx import shipped_site
from tests.integration.processes import (
    CeleryWorker,
    GunicornServer,
    IntakeGunicornServer,
    descendants,
)
from tests.integration.test_nginx import GUIDE, TEST_HTTP, Site, Upstream, _require_nginx


@pytest.fixture(scope="module")
def split_site(tmp_path_factory):
    """The shipped nginx config with the web pool and the intake pool on two
    stand-in upstreams."""
    _require_nginx()
    work = tmp_path_factory.mktemp("nginx-pools")
    web, intake = Upstream(), Upstream()
    for upstream in (web, intake):
        threading.Thread(target=upstream.serve_forever, daemon=True).start()
    nginx, http_port, https_port = shipped_site(
        work / "nginx",
        upstream_port=web.port,
        intake_port=intake.port,
        static_root=work,
        extra=TEST_HTTP,
        name="nginx-pools",
        logs=work,
    )
    nginx.start()
    try:
        yield Site(nginx, web, http_port, https_port), intake
    finally:
        nginx.stop()
        for upstream in (web, intake):
            upstream.shutdown()
            upstream.server_close()
        shutil.rmtree(work, ignore_errors=True)


def test_the_intake_form_in_either_language_goes_to_the_intake_pool(split_site):
    site, intake = split_site
    for path in ("/admissions/", "/admissions/thanks/", "/es/admissions/"):
        site.get(path)
        assert intake.count(path) == 1, path
        assert site.upstream.count(path) == 0, path


def test_guides_and_other_pages_stay_on_the_web_pool(split_site):
    site, intake = split_site
    for path in (GUIDE, "/", "/readyz", "/es/"):
        site.get(path)
        assert intake.count(path) == 0, path
    assert site.upstream.count(GUIDE) >= 1 and site.upstream.count("/") == 1


def _nice(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])  # the 19th field of /proc/<pid>/stat


def _session_nice(pid: int) -> int | None:
    """The nice of the process's autogroup (its session's share of the CPU), or None
    without autogroup scheduling."""
    try:
        return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])
    except OSError:
        return None


@pytest.mark.django_db(transaction=True)
def test_the_intake_pool_and_the_worker_yield_the_cpu_to_the_web_pool(smtp_server, tmp_path):
    env = service_env(smtp_server)
    web = GunicornServer(env, workers=1, logs=tmp_path).start()
    intake = IntakeGunicornServer(env, workers=1, logs=tmp_path).start()
    worker = CeleryWorker(env, name="worker-priority", logs=tmp_path).start()
    try:
        ours = os.nice(0)
        web_nice = {_nice(pid) for pid in [web.process.pid, *descendants(web.process.pid)]}
        intake_tree = [intake.process.pid, *descendants(intake.process.pid)]
        worker_tree = [worker.celery_pid, *descendants(worker.celery_pid)]
        assert web_nice == {ours}
        assert {_nice(pid) for pid in intake_tree} == {ours + 10}
        assert {_nice(pid) for pid in worker_tree} == {ours + 10}
        assert len(intake_tree) >= 2 and len(worker_tree) >= 2  # masters and their workers
        # Each runs in a session of its own, whose share of the CPU is lowered too.
        if _session_nice(web.process.pid) is not None:
            assert _session_nice(web.process.pid) == 0
            assert _session_nice(intake.process.pid) == 10
            assert _session_nice(worker.celery_pid) == 10
    finally:
        worker.stop()
        intake.stop()
        web.stop()
