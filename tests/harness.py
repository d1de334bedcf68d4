"""What the tests that start real servers (tests/integration) and the benchmarks
(bench/) share: free loopback ports, waits with a deadline, child processes in
process groups of their own, and an SMTP server on loopback.

The site's own processes (gunicorn, the Celery worker and beat, Redis) are in
tests/integration/processes.py, built on ManagedProcess below.
"""

import asyncio
import contextlib
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    """A loopback TCP port nothing listens on (when asked): connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(
    predicate, timeout: float, interval: float = 0.1, what: str = "condition", looks: int = 1
):
    """Call predicate until it returns something true (on `looks` calls in a row,
    `interval` apart, for a state that may flicker), and return that; TimeoutError
    once `timeout` seconds have gone by without it."""
    deadline = time.monotonic() + timeout
    streak = 0
    while True:
        value = predicate()
        streak = streak + 1 if value else 0
        if streak >= looks:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def sleep_until(moment: float, clock: Callable[[], float] = time.monotonic) -> None:
    """Wait for a moment on `clock`: for the waits whose condition is time itself
    (a form's minimum fill time, a server's timeout), where nothing else shows it."""
    time.sleep(max(0.0, moment - clock()))


def descendants(pid: int) -> list[int]:
    """The children of a process, theirs, and so on (Linux: /proc/<pid>/task/*/children)."""
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            for child in map(int, children.read_text().split()):
                found += [child, *descendants(child)]
    return found


def parent_pid(pid: int) -> int:
    """The parent of a living process (field 4 of /proc/<pid>/stat)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


def tcp_socket_owner(local_port: int, pids: Iterable[int]) -> int | None:
    """Which of `pids` holds the loopback TCP socket bound to `local_port` (the
    client's end of a connection to a server of ours), or None."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rpartition(":")[2], 16) == local_port:
            inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            with contextlib.suppress(OSError):
                if os.readlink(fd) in inodes:
                    return pid
    return None


def child_env(drop: Iterable[str] = (), **values: str) -> dict[str, str]:
    """The environment for a child process: this one's, without the test suite's own
    DJANGO_ALLOW_ASYNC_UNSAFE and DJANGO_SETTINGS_MODULE (children run
    cardinal.settings, as in production) or the names in `drop`, the virtualenv's
    bin first on PATH (as `make stack` runs honcho), unbuffered output, then
    `values`."""
    dropped = {"DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE", *drop}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', os.defpath)}"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(values)
    return env


class ManagedProcess:
    """A child process in its own process group, its output in <logs>/<name>.log.

    kill() and stop() take the whole group down (gunicorn's and Celery's pool
    processes with their parent).
    """

    def __init__(self, name: str, command: list[str], env: dict[str, str], logs: Path = ARTIFACTS):
        self.name = name
        self.command = command
        self.env = env
        self.process: subprocess.Popen | None = None
        logs.mkdir(parents=True, exist_ok=True)
        self.log_path = logs / f"{name}.log"

    def start(self):
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check(self) -> None:
        """Raise if the process has exited (for readiness checks)."""
        if not self.running:
            raise RuntimeError(f"{self.name} exited; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL to the whole group: no clean-up, as when a machine or container dies."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), then SIGKILL to the group for what is left."""
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


class SmtpSink:
    """An SMTP server on loopback keeping every message it accepts.

    up() starts it, down() takes it away and up() brings it back on the same
    port. hold() makes each DATA command wait, after the whole message has
    arrived but before the reply, until release(). A message counts as accepted
    only when its "250" reply goes out on a live connection, as the SMTP contract
    has it: if the client dies while the message is held (the connection closes
    before the reply), the message is counted in `abandoned`, never delivered,
    and the client, having had no reply, will send it again.

    `on_accept(message, arrived)` is called for each message accepted, with the
    time (monotonic clock) its DATA command began.
    """

    def __init__(self, on_accept: Callable[[Message, float], None] | None = None):
        self.port = free_port()
        self.on_accept = on_accept
        self._lock = threading.Lock()
        self._messages: list[Message] = []
        self._released = threading.Event()
        self._released.set()
        self.holding = 0
        self.held_peers: list[tuple[str, int]] = []  # (address, port) of each client held
        self.abandoned = 0
        self._peers: set[tuple[str, int]] = set()  # the client end of each connection used
        self._controller: Controller | None = None

    # aiosmtpd's hook
    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        arrived = time.monotonic()
        with self._lock:
            self.holding += 1
            self.held_peers.append(session.peer)
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
                self.held_peers.remove(session.peer)
        if server.transport is None or server.transport.is_closing():
            with self._lock:
                self.abandoned += 1
            return "421 Connection lost before the reply"
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self._messages.append(message)
            self._peers.add(session.peer)
            if self.on_accept is not None:
                self.on_accept(message, arrived)
        return "250 Message accepted for delivery"

    @property
    def env(self) -> dict[str, str]:
        """The settings' variables that send a process's mail here."""
        return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "0"}

    @property
    def is_up(self) -> bool:
        return self._controller is not None

    def up(self) -> "SmtpSink":
        if self._controller is None:
            controller = Controller(self, hostname="127.0.0.1", port=self.port)
            controller.start()
            self._controller = controller
        return self

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

    @property
    def connections(self) -> int:
        """How many client connections the messages accepted came over."""
        with self._lock:
            return len(self._peers)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._peers.clear()
            self.abandoned = 0

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Message]:
        """The messages once there are at least `count` (or all there are at the timeout)."""
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: len(self.messages) >= count, timeout, interval=0.05)
        return self.messages
