"""Where the CPU time of one intake goes, from the POST to the mail sent.

    python -m bench.profile_intake [--n 300] [--html DIR] [--pstats DIR]

Starts what the bench starts (a database cardinal_bench_profile, recreated; a Redis
server of its own; the SMTP sink) and then, in one process with the bench's
production settings:

  web     the intake POST through the WSGI application, as gunicorn calls it (each
          with its own form, loaded and aged beforehand); the notification is queued
          to Redis on commit as in production
  worker  a Celery worker in that process (solo pool) draining those notifications,
          each mail sent to the SMTP sink

Each side is timed first without the profiler (CPU time per intake), then profiled
with pyinstrument: the summary printed lists the largest parts, and --html writes
the two full profiles, --pstats the two cProfile runs (for pstats or snakeviz).
Nothing here is run by CI.
"""

import argparse
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from tests.harness import ROOT, wait_until

DATABASE = "postgres://postgres@127.0.0.1:5432/cardinal_bench_profile"
FORM_PATH = "/admissions/"
HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"')


# --- In the child: the measurements ----------------------------------------------------


def _environ(method: str, path: str, *, body: bytes = b"", cookie: str = "") -> dict:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_COOKIE": cookie,
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def _call(app, environ: dict) -> tuple[str, dict, bytes]:
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    chunks = app(environ, start_response)
    body = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return seen["status"], seen["headers"], body


def _form(app) -> tuple[bytes, str]:
    """Load the form once, as a browser: (a filled-in body, its CSRF cookie)."""
    status, headers, body = _call(app, _environ("GET", FORM_PATH))
    assert status.startswith("200"), status
    cookie = next(
        value.strip().split(";", 1)[0]
        for name, value in headers
        if name == "Set-Cookie" and value.strip().startswith("csrftoken=")
    )
    hidden = dict(HIDDEN.findall(body.decode()))
    fields = {
        "csrfmiddlewaretoken": hidden["csrfmiddlewaretoken"],
        "started": hidden["started"],
        "source": "",
        "website": "",
        "first_name": "Bench",
        "phone": "(202) 555-0147",
        "who_needs_help": "self",
        "best_time": "any",
        "voicemail_ok": "yes",
        "contact_method": "call",
        "email": "bench@example.org",
        "state": "NY",
        "substances": "alcohol",
        "insurance_provider": "Example Health",
        "insurance_member_id": "X123456789",
        "message": "Evenings are best.",
        "consent": "on",
    }
    return urlencode(fields).encode(), cookie


def _post_all(app, forms) -> float:
    """Post every form; the CPU seconds spent."""
    started = time.process_time()
    for body, cookie in forms:
        status, headers, _ = _call(app, _environ("POST", FORM_PATH, body=body, cookie=cookie))
        location = dict(headers).get("Location", "")
        if not status.startswith("302") or "thanks" not in location:
            raise RuntimeError(f"an intake was not accepted ({status})")
    return time.process_time() - started


def _worker_drain(expected: int, profiler=None) -> tuple[float, int]:
    """Run a Celery worker (solo pool, in this process) until `expected` notifications
    ran; (CPU seconds, tasks run)."""
    from celery.signals import task_postrun
    from celery.worker import state

    from cardinal.celery import app

    done = {"n": 0}
    state.should_stop = state.should_terminate = None  # the last drain's shutdown

    def count(sender=None, **kwargs):
        if sender is not None and sender.name == "admissions.tasks.intake_notify":
            done["n"] += 1
            if done["n"] >= expected:
                os.kill(os.getpid(), signal.SIGTERM)  # Celery's warm shutdown

    task_postrun.connect(count, weak=False)
    worker = app.Worker(
        pool="solo",
        concurrency=1,
        without_gossip=True,
        without_mingle=True,
        without_heartbeat=True,
        loglevel="WARNING",
        quiet=True,
        redirect_stdouts=False,
        hostname="profile@localhost",
    )
    started = time.process_time()
    if profiler:
        profiler.start()
    try:
        worker.start()
    finally:
        if profiler:
            profiler.stop()
        task_postrun.disconnect(count)
    return time.process_time() - started, done["n"]


# The parts of a profile printed as a breakdown: (label, (file ending, function)).
# Each is the CPU time spent in that function and under it (cProfile's cumulative
# time on the process clock), per intake.
WEB_PARTS = (
    ("the whole request, WSGI in to out", ("django/core/handlers/wsgi.py", "__call__")),
    ("  session loaded and saved", ("sessions/middleware.py", "process_response")),
    ("  CSRF check", ("middleware/csrf.py", "process_view")),
    ("  form posts counted by address (Redis)", ("admissions/limits.py", "address_posted")),
    ("  accepted intakes counted by address", ("admissions/limits.py", "address_accepted")),
    ("  fill-time token checked (signature)", ("admissions/forms.py", "fill_token_check")),
    ("  fill-time token claimed (Redis)", ("admissions/limits.py", "token_claim")),
    ("  form made (its fields copied)", ("admissions/forms.py", "__init__")),
    ("  form validated", ("django/forms/forms.py", "is_valid")),
    ("  intake_submit", ("admissions/services.py", "intake_submit")),
    ("    fields encrypted (Fernet)", ("admissions/crypto.py", "encrypt")),
    ("    three INSERTs (ORM)", ("django/db/models/base.py", "save_base")),
    ("    notification queued on commit (Celery publish)", ("celery/app/task.py", "apply_async")),
    ("  all SQL round trips (psycopg execute)", ("django/db/backends/utils.py", "_execute")),
)
WORKER_PARTS = (
    ("the whole task, as the worker runs it", ("celery/app/trace.py", "trace_task")),
    ("  connections checked before the task", ("django/db/__init__.py", "close_old_connections")),
    ("  intake_notify (the service)", ("admissions/services.py", "intake_notify")),
    ("    navigator on duty and repeat contact", ("admissions/services.py", "navigator_next")),
    ("    on-call recipients", ("admissions/services.py", "oncall_recipients")),
    ("    mail rendered", ("django/template/loader.py", "render_to_string")),
    (
        "    mail sent (message built, sent over the kept SMTP connection)",
        ("django/core/mail/message.py", "send"),
    ),
    ("    all SQL round trips (psycopg execute)", ("django/db/backends/utils.py", "_execute")),
)


def parts(stats, named, per: int, measured_ms: float) -> dict[str, float]:
    """Milliseconds of CPU per intake in each named function (and under it), scaled
    so that the first, the whole, is the CPU time measured without the profiler
    (cProfile's own cost is left out)."""
    found = {}
    for label, (path, function) in named:
        seconds = sum(
            entry[3]
            for (file, _, name), entry in stats.stats.items()
            if name == function and file.endswith(path)
        )
        found[label] = seconds * 1000 / per
    scale = measured_ms / max(next(iter(found.values())), 1e-9)
    return {label: round(ms * scale, 2) for label, ms in found.items()}


def profiled_run(run):
    """Run under cProfile on the process clock; (its result, pstats.Stats)."""
    import cProfile
    import pstats

    profile = cProfile.Profile(time.process_time)
    result = profile.runcall(run)
    return result, pstats.Stats(profile)


def child(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cardinal.settings")
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application
    from pyinstrument import Profiler

    from admissions.models import Intake

    app = get_wsgi_application()
    count = args.n
    forms = [_form(app) for _ in range(4 * count + 40)]
    time.sleep(4)  # past the minimum fill time
    warm, timed, profiled = forms[:40], forms[40 : 40 + count], forms[40 + count :]
    _post_all(app, warm)
    _worker_drain(len(warm))
    result = {"n": count}

    web_cpu = _post_all(app, timed)
    result["web_cpu_ms"] = round(web_cpu * 1000 / count, 2)
    worker_cpu, ran = _worker_drain(count)
    result["worker_cpu_ms"] = round(worker_cpu * 1000 / max(ran, 1), 2)

    web = Profiler(interval=0.0002)
    web.start()
    _post_all(app, profiled[:count])
    web.stop()
    worker = Profiler(interval=0.0002)
    _worker_drain(count, worker)
    for directory in (args.html, args.pstats):
        if directory:
            Path(directory).mkdir(parents=True, exist_ok=True)
    if args.html:
        Path(args.html, "web.html").write_text(web.output_html())
        Path(args.html, "worker.html").write_text(worker.output_html())
    rest = profiled[count:]
    _, stats = profiled_run(lambda: _post_all(app, rest[:count]))
    result["web_parts_ms"] = parts(stats, WEB_PARTS, count, result["web_cpu_ms"])
    if args.pstats:
        stats.dump_stats(Path(args.pstats, "web.pstats"))
    _, stats = profiled_run(lambda: _worker_drain(count))
    result["worker_parts_ms"] = parts(stats, WORKER_PARTS, count, result["worker_cpu_ms"])
    if args.pstats:
        stats.dump_stats(Path(args.pstats, "worker.pstats"))
    result["intakes"] = Intake.objects.count()
    result["notified"] = Intake.objects.filter(notified_at__isnull=False).count()
    Path(args.text).write_text(
        "=== web: the intake POST\n"
        + web.output_text(show_all=False, processor_options={"filter_threshold": 0.01})
        + "\n=== worker: the notification task\n"
        + worker.output_text(show_all=False, processor_options={"filter_threshold": 0.01})
    )
    print(json.dumps(result))


# --- In the parent: the services ----------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="intakes timed, then as many profiled")
    parser.add_argument("--html", help="write web.html and worker.html (pyinstrument) here")
    parser.add_argument(
        "--pstats", help="write web.pstats and worker.pstats (cProfile, process clock) here"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--text", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    from bench.run import recreate_database
    from bench.stack import Stack

    database = os.environ.get("BENCH_PROFILE_DATABASE_URL", DATABASE)
    work = Path(tempfile.mkdtemp(prefix="cardinal-profile-"))
    recreate_database(database)
    stack = Stack(work, database)
    try:
        stack.start_redis()
        stack.start_smtp()
        stack.manage("migrate", "--noinput", "-v0")
        stack.manage("collectstatic", "--noinput", "-v0")
        stack.python("bench.inprocess", "setup")
        text = work / "profile.txt"
        command = [sys.executable, "-m", "bench.profile_intake", "--child", "--n", str(args.n)]
        command += ["--text", str(text)] + (["--html", args.html] if args.html else [])
        command += ["--pstats", str(Path(args.pstats).resolve())] if args.pstats else []
        output = subprocess.run(
            command, cwd=ROOT, env=stack.env, check=True, stdout=subprocess.PIPE, text=True
        ).stdout
        result = json.loads(output.splitlines()[-1])
        wait_until(lambda: stack.sink.count() >= result["notified"], 30, what="the mails")
        result["mails"] = stack.sink.count()
        print(text.read_text())
        for side in ("web", "worker"):
            print(f"\nCPU per intake, {side} (ms; cProfile's shares of the unprofiled time)")
            for label, ms in result[f"{side}_parts_ms"].items():
                print(f"  {ms:6.2f}  {label}")
        print(json.dumps(result))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
