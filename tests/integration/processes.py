"""Real processes for the fault-injection tests, each on a free loopback port:

- the web, worker and beat processes, started with the commands of deploy/Procfile;
- a Redis server of our own that a test can kill and start again;
- a TCP proxy in front of PostgreSQL that a test can cut and restore;
- an SMTP server that a test can take down, bring back, and make hold each
  message at the end of DATA (so a worker can be killed in the middle of a mail);
- WebClient, a visitor as the site sees them through the nginx proxy.

Every process runs in a process group of its own, so kill() takes the children
(gunicorn's and Celery's pool processes) down with it. Output goes to
test-artifacts/<name>.log.
"""

import asyncio
import contextlib
import email
import http.client
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import SimpleCookie
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PROCFILE = ROOT / "deploy" / "Procfile"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Call predicate until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def database_url(port: int | None = None) -> str:
    """The URL of the test database (as pytest-django set it up), optionally
    through another port on loopback (a TcpProxy)."""
    from django.db import connection

    conf = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("the fault tests need DATABASE_URL to name PostgreSQL")
    auth = conf["USER"] or "postgres"
    if conf["PASSWORD"]:
        auth += f":{conf['PASSWORD']}"
    host = "127.0.0.1" if port else conf["HOST"] or "127.0.0.1"
    port = port or conf["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{conf['NAME']}"


# --- Processes ---------------------------------------------------------------------------


class ManagedProcess:
    """A child process in its own process group, its output in test-artifacts/<name>.log."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]):
        self.name = name
        self.command = command
        self.env = env
        self.process: subprocess.Popen | None = None
        ARTIFACTS.mkdir(exist_ok=True)
        self.log_path = ARTIFACTS / f"{name}.log"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole group: no clean-up, as when a machine or container dies."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), then SIGKILL to the group if it takes too long."""
        if self.running:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        self.kill()

    def log_mark(self) -> int:
        """A position in the log; log_since() reads what was written after it."""
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, mark: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(mark)
            return log.read().decode(errors="replace")


def procfile_command(kind: str) -> str:
    """The command deploy/Procfile gives for a process type (web, worker, beat)."""
    for line in PROCFILE.read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() == kind:
            return command.strip()
    raise LookupError(f"deploy/Procfile has no {kind!r} process")


def process_env(env: dict[str, str]) -> dict[str, str]:
    """env with the virtualenv's bin first on PATH, as `make stack` runs honcho."""
    bin_dir = str(Path(sys.executable).parent)
    return {**env, "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', os.defpath)}"}


class ProcfileProcess(ManagedProcess):
    """A process started exactly as deploy/Procfile (and so `make stack`) starts it."""

    kind = ""

    def __init__(self, env: dict[str, str], name: str | None = None):
        command = ["bash", "-c", procfile_command(self.kind)]
        super().__init__(name or f"{self.kind}-{os.getpid()}", command, process_env(env))


class GunicornServer(ProcfileProcess):
    """The web process: gunicorn with deploy/gunicorn.conf.py."""

    kind = "web"

    def __init__(self, env: dict[str, str], workers: int = 2):
        self.port = free_port()
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(workers)}
        super().__init__(env, name=f"gunicorn-{self.port}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        super().start()

        def healthy():
            if not self.running:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz")
                return connection.getresponse().status == 200
            except OSError:
                return False

        wait_until(healthy, 60, interval=0.2, what="gunicorn")


class CeleryWorker(ProcfileProcess):
    """The worker process; ready when it answers a ping on its broker."""

    kind = "worker"

    def start(self) -> None:
        from celery import Celery

        super().start()
        probe = Celery("probe", broker=self.env["REDIS_URL"], set_as_current=False)
        try:

            def answers():
                if not self.running:
                    raise RuntimeError(f"the Celery worker exited; see {self.log_path}")
                try:
                    return probe.control.ping(timeout=0.5)
                except Exception:  # noqa: BLE001 - kombu's pools may hold a connection
                    return None  # to a Redis server since restarted: try again

            wait_until(answers, 60, interval=0, what="the Celery worker")
        finally:
            probe.close()


class CeleryBeat(ProcfileProcess):
    """The beat process: the only source of scheduled work."""

    kind = "beat"


class RedisServer(ManagedProcess):
    """A redis-server of our own (no persistence: what it holds dies with it)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", tempfile.gettempdir(),
        ]  # fmt: skip
        super().__init__(f"redis-{self.port}", command, dict(os.environ))

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        super().start()
        wait_until(lambda: port_open(self.port), 15, what="redis-server")


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


# --- Mail ------------------------------------------------------------------------------------


class SmtpSink:
    """An SMTP server on loopback keeping every message it accepts.

    down() and up() take it away and bring it back on the same port. hold() makes
    each DATA command wait, after the whole message has arrived but before the
    reply, until release(). A message counts as accepted only when its "250" reply
    goes out on a live connection, as the SMTP contract has it: if the client dies
    while the message is held (the connection closes before the reply), the
    message is counted in `abandoned`, never delivered, and the client, having had
    no reply, will send it again.
    """

    def __init__(self):
        self.port = free_port()
        self._lock = threading.Lock()
        self._messages: list[Message] = []
        self._released = threading.Event()
        self._released.set()
        self.holding = 0
        self.abandoned = 0
        self._controller: Controller | None = None

    # aiosmtpd's hook
    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self._lock:
            self.holding += 1
        try:
            while not self._released.is_set():
                await asyncio.sleep(0.02)
        except asyncio.CancelledError:  # aiosmtpd cancels the handler when the peer goes
            with self._lock:
                self.abandoned += 1
            raise
        finally:
            with self._lock:
                self.holding -= 1
        if server.transport is None or server.transport.is_closing():
            with self._lock:
                self.abandoned += 1
            return "421 Connection lost before the reply"
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self._messages.append(message)
        return "250 Message accepted for delivery"

    @property
    def is_up(self) -> bool:
        return self._controller is not None

    def up(self) -> None:
        if self._controller is None:
            controller = Controller(self, hostname="127.0.0.1", port=self.port)
            controller.start()
            self._controller = controller

    def down(self) -> None:
        """Stop listening: connections are refused, as when the mail server is down."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    @property
    def messages(self) -> list[Message]:
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self.abandoned = 0

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Message]:
        """The messages once there are at least `count` (or all there are at the timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.05)
        return self.messages


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
    are Secure, and the hop from the proxy to gunicorn is plain HTTP)."""

    base_url: str
    address: str = "203.0.113.10"
    cookies: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        parsed = urllib.parse.urlsplit(self.base_url)
        self.host, self.port = parsed.hostname, parsed.port
        self.origin = f"https://{self.host}:{self.port}"

    def request(self, method: str, path: str, data: dict | None = None) -> Response:
        headers = {
            "Host": f"{self.host}:{self.port}",
            "X-Forwarded-Proto": "https",
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
