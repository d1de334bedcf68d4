"""The site's processes for the integration tests and the benchmarks, each on a
free loopback port:

- the web, worker and beat processes, started with the commands of deploy/Procfile;
- a Redis server of our own that a test can kill and start again;
- a TCP proxy in front of PostgreSQL that a test can cut and restore;
- WebClient, a visitor as the site sees them through the nginx proxy.

Every process runs in a process group of its own (tests/harness.py), so kill()
takes the children (gunicorn's and Celery's pool processes) down with it. Output
goes to test-artifacts/<name>.log unless a `logs` folder is given.
"""

import contextlib
import http.client
import os
import re
import secrets
import selectors
import socket
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import redis
from cryptography.fernet import Fernet

from tests.harness import (
    ARTIFACTS,
    ROOT,
    ManagedProcess,
    child_env,
    descendants,
    free_port,
    parent_pid,
    port_open,
    wait_until,
)

PROCFILE = ROOT / "deploy" / "Procfile"
# Admissions open around the clock, as the suite has it (tests/settings.py), for
# the children too; a test of closed hours gives its own.
SUITE_HOURS = "mon-sun 00:00-24:00"


def database_url(port: int | None = None) -> str:
    """The URL of the test database (as pytest-django set it up), optionally
    through another port on loopback (a TcpProxy)."""
    from django.db import connection

    conf = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("the integration tests need DATABASE_URL to name PostgreSQL")
    auth = conf["USER"] or "postgres"
    if conf["PASSWORD"]:
        auth += f":{conf['PASSWORD']}"
    host = "127.0.0.1" if port else conf["HOST"] or "127.0.0.1"
    port = port or conf["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{conf['NAME']}"


def production_env(**values: str) -> dict[str, str]:
    """A child's environment as in production: debug off, fresh throwaway secrets
    that pass the start-up checks, the public address on HTTPS, admissions open
    around the clock as in the suite (tests/settings.py), then `values`."""
    return child_env(
        **{
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": "https://cardinal.example",
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "FIELD_HASH_KEY": secrets.token_urlsafe(32),
            "ADMISSIONS_HOURS": SUITE_HOURS,
            **values,
        }
    )


def embedded_defaults_env(**values: str) -> dict[str, str]:
    """A child's environment as `make run` gives it: none of the site's deploy-time
    variables but DJANGO_DEBUG=1 (its settings fall back on their embedded
    defaults), then `values`."""
    deploy = ("DATABASE_", "REDIS_", "EMAIL_", "DJANGO_", "FIELD_")
    return child_env(
        drop=[name for name in os.environ if name.startswith(deploy)],
        **{"DJANGO_DEBUG": "1", **values},
    )


def broker_idle(url: str) -> bool:
    """No task message waiting on the Redis broker at `url` or taken by a worker and
    not yet acknowledged. With acks_late a message is acknowledged once its task
    has run, so an idle broker means every task queued so far has finished."""
    client = redis.Redis.from_url(url)
    try:
        if client.hlen("unacked"):  # kombu's Redis transport: messages a worker holds
            return False
        queues = [key for key in client.scan_iter("celery*") if client.type(key) == b"list"]
        return not any(client.llen(queue) for queue in queues)
    finally:
        client.close()


def lock_waiters() -> int:
    """Sessions of the test database waiting for a lock, as they are now (inside a
    transaction PostgreSQL would otherwise show its first look again)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


# --- Processes ---------------------------------------------------------------------------


def procfile_command(kind: str) -> str:
    """The command deploy/Procfile gives for a process type (web, worker, beat)."""
    for line in PROCFILE.read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() == kind:
            return command.strip()
    raise LookupError(f"deploy/Procfile has no {kind!r} process")


class ProcfileProcess(ManagedProcess):
    """A process started exactly as deploy/Procfile (and so `make stack`) starts it,
    unless a `command` of its own is given. `env` as tests.harness.child_env makes
    it (the virtualenv's bin on PATH)."""

    kind = ""

    def __init__(
        self,
        env: dict[str, str],
        name: str | None = None,
        logs: Path = ARTIFACTS,
        command: list[str] | None = None,
    ):
        command = command or ["bash", "-c", procfile_command(self.kind)]
        super().__init__(name or f"{self.kind}-{os.getpid()}", command, env, logs)


class GunicornServer(ProcfileProcess):
    """The web process: gunicorn with deploy/gunicorn.conf.py, `workers` of them
    (None: as many as that file says)."""

    kind = "web"
    bind_variable = "GUNICORN_BIND"  # what gives the Procfile's command its address

    def __init__(
        self,
        env: dict[str, str],
        workers: int | None = 2,
        port: int | None = None,
        name: str | None = None,
        logs: Path = ARTIFACTS,
    ):
        self.port = port or free_port()
        env = {**env, self.bind_variable: f"127.0.0.1:{self.port}"}
        if workers is not None:
            env["WEB_CONCURRENCY"] = str(workers)
        super().__init__(env, name=name or f"gunicorn-{self.port}", logs=logs)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "GunicornServer":
        super().start()

        def healthy():
            self.check()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz")
                return connection.getresponse().status == 200
            except OSError:
                return False

        wait_until(healthy, 60, interval=0.2, what="gunicorn")
        return self


class IntakeGunicornServer(GunicornServer):
    """The intake form's own gunicorn (the Procfile's "intake", at a lower CPU
    priority), which the shipped nginx config sends /admissions/ to."""

    kind = "intake"
    bind_variable = "GUNICORN_INTAKE_BIND"


class CeleryWorker(ProcfileProcess):
    """The worker process; ready once its log says so ("celery@host ready.": it is
    connected to its broker, REDIS_URL, and consuming). It takes no remote-control
    commands (settings), so nothing can ping it."""

    kind = "worker"

    def start(self) -> "CeleryWorker":
        mark = self.log_mark()
        super().start()
        self.wait_ready(mark)
        return self

    def wait_ready(self, mark: int, timeout: float = 60) -> None:
        """Until a Celery worker started after `mark` in the log is ready."""

        def ready():
            self.check()
            return READY.search(self.log_since(mark))

        wait_until(ready, timeout, what=f"the Celery worker ({self.name})")

    @property
    def celery_pid(self) -> int:
        """Celery's main process (this one, or its child under scripts/keep-running):
        the parent of the prefork pool processes, which have no children."""
        tree = descendants(self.process.pid)
        [main] = {parent_pid(pid) for pid in tree if not descendants(pid)}
        return main


# The line of a Celery worker started and consuming (celery.apps.worker).
READY = re.compile(r"^\S.* (\S+@\S+) ready\.$", re.M)
# scripts/keep-running, starting the command it runs (deploy/Procfile).
RUNNER_STARTED = re.compile(r"^keep-running: started (\S+) \(pid (\d+)\)$", re.M)


def runner_started(log: str) -> list[int]:
    """The pids of the commands scripts/keep-running started, in the order it did."""
    return [int(pid) for _, pid in RUNNER_STARTED.findall(log)]


class CeleryBeat(ProcfileProcess):
    """The beat process: the only source of scheduled work."""

    kind = "beat"


class RedisServer(ManagedProcess):
    """A redis-server of our own (no persistence: what it holds dies with it)."""

    def __init__(self, port: int | None = None, name: str | None = None, logs: Path = ARTIFACTS):
        self.port = port or free_port()
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", tempfile.gettempdir(),
        ]  # fmt: skip
        super().__init__(name or f"redis-{self.port}", command, dict(os.environ), logs)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        super().start()
        wait_until(lambda: port_open(self.port), 15, what="redis-server")
        return self


# --- Network faults ------------------------------------------------------------------------


class TcpProxy:
    """Forwards a loopback port to a target; cut() makes the target unreachable
    (connections refused, open ones dropped) until restore()."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._connections: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._cut = threading.Event()

    def start(self) -> None:
        # A new event per generation: pipes of a cut generation never come back.
        self._cut = threading.Event()
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(256)
        listener.settimeout(0.2)
        self._listener = listener
        self._thread = threading.Thread(
            target=self._accept_loop, args=(listener, self._cut), daemon=True
        )
        self._thread.start()

    def _accept_loop(self, listener: socket.socket, cut: threading.Event) -> None:
        while not cut.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._connections += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, cut), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket, cut: threading.Event) -> None:
        selector = selectors.DefaultSelector()
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        try:
            while not cut.is_set():
                for key, _ in selector.select(timeout=0.2):
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            selector.close()
            for sock in (a, b):
                sock.close()
            with self._lock:
                self._connections = [s for s in self._connections if s not in (a, b)]

    @property
    def is_cut(self) -> bool:
        return self._cut.is_set()

    def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        self._cut.set()
        if self._listener:
            self._listener.close()
        if self._thread:
            self._thread.join(timeout=5)
        with self._lock:
            for sock in self._connections:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._connections = []

    def restore(self) -> None:
        self.start()

    def stop(self) -> None:
        self.cut()


# --- Visitors --------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


@dataclass
class WebClient:
    """A visitor reaching gunicorn through the TLS-terminating proxy: the proxy's
    X-Forwarded-Proto and X-Forwarded-For headers, and cookies kept by hand (they
    are Secure, and the hop from the proxy to gunicorn is plain HTTP). With
    `scheme="http"`, a visitor of a local run (debug on: no TLS anywhere)."""

    base_url: str
    address: str = "203.0.113.10"
    cookies: dict[str, str] = field(default_factory=dict)
    scheme: str = "https"

    def __post_init__(self):
        parsed = urllib.parse.urlsplit(self.base_url)
        self.host, self.port = parsed.hostname, parsed.port
        self.origin = f"{self.scheme}://{self.host}:{self.port}"

    def request(self, method: str, path: str, data: dict | None = None) -> Response:
        headers = {
            "Host": f"{self.host}:{self.port}",
            "X-Forwarded-Proto": self.scheme,
            "X-Forwarded-For": self.address,
            "User-Agent": "fault-test",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Response(response.status, response.headers, text)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict) -> Response:
        return self.request("POST", path, data)


# The reference the confirmation page shows (admissions.models).
REFERENCE = re.compile(r"CR-[2-9A-HJ-NP-Z]{6}")


def open_form(client: WebClient) -> dict:
    """GET the form as a browser does; the POST data it will send, with its tokens."""
    from tests.admissions.helpers import form_data  # needs Django's settings

    response = client.get("/admissions/?from=naltrexone")
    assert response.status == 200, response.status
    started = re.search(r'name="started" value="([^"]+)"', response.text).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text).group(1)
    return form_data(started=started, source="naltrexone", csrfmiddlewaretoken=token)


def send_form(client: WebClient, data: dict) -> tuple[int, str]:
    """POST the form and follow the redirect: (status of the POST, reference shown)."""
    response = client.post("/admissions/", data)
    if response.status != 302:
        return response.status, ""
    assert response.location.endswith("/admissions/thanks/"), response.location
    thanks = client.get("/admissions/thanks/")
    if thanks.status != 200:
        return thanks.status, ""
    return response.status, REFERENCE.search(thanks.text).group(0)
