"""The production stack on loopback, for the benchmark: a Redis server of its own,
gunicorn and the Celery worker started from deploy/Procfile, nginx with the
shipped proxy rules, and an SMTP sink that records when each mail arrives.

The processes and the sink are the integration tests' (tests/harness.py,
tests/integration/processes.py): each runs in a process group of its own and
is stopped by its own process id.
"""

import os
import re
import secrets
import shlex
import subprocess
import sys
import threading
from email.message import Message
from pathlib import Path

from cryptography.fernet import Fernet

from tests.harness import (
    ROOT,
    ManagedProcess,
    SmtpSink,
    child_env,
    free_port,
    port_open,
    wait_until,
)
from tests.integration.nginx import NGINX, PROXY_RULES, site_http_directives
from tests.integration.processes import (
    CeleryWorker,
    GunicornServer,
    IntakeGunicornServer,
    RedisServer,
    procfile_command,
)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # the fields after the command name


def process_tree(root: int) -> list[int]:
    """The process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def cpu_seconds(pids) -> dict[int, float]:
    """User plus system CPU time each process has used so far."""
    times = {}
    for pid in pids:
        if fields := _stat(pid):
            times[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return times


class CpuMeter:
    """CPU seconds used by groups of processes between start() and stop()."""

    def __init__(self, groups: dict):
        self.groups = groups  # name -> callable returning the group's pids
        self.before: dict[str, dict[int, float]] = {}

    def start(self) -> "CpuMeter":
        self.before = {name: cpu_seconds(pids()) for name, pids in self.groups.items()}
        return self

    def stop(self) -> dict[str, float]:
        used = {}
        for name, pids in self.groups.items():
            after = cpu_seconds(set(pids()) | set(self.before[name]))
            used[name] = sum(
                seconds - self.before[name].get(pid, 0.0) for pid, seconds in after.items()
            )
        return used


class MailArrivals:
    """When the first mail about each intake reached the SMTP sink (monotonic clock)."""

    SUBJECT = re.compile(r"Intake (CR-[0-9A-Z]+) waiting")

    def __init__(self):
        self._lock = threading.Lock()
        self.arrivals: dict[str, float] = {}

    def record(self, message: Message, arrived: float) -> None:
        """SmtpSink's on_accept."""
        match = self.SUBJECT.search(message.get("Subject", ""))
        if match:
            with self._lock:
                self.arrivals.setdefault(match.group(1), arrived)

    def arrival(self, reference: str) -> float | None:
        with self._lock:
            return self.arrivals.get(reference)

    def count(self) -> int:
        with self._lock:
            return len(self.arrivals)

    def last_arrival(self) -> float | None:
        with self._lock:
            return max(self.arrivals.values(), default=None)


def bench_environment(
    *,
    site_url: str,
    database_url: str,
    redis_url: str,
    static_root: Path,
    mail: dict[str, str],
    **values: str,
) -> dict[str, str]:
    """The environment of the site's processes in a benchmark (this stack and
    bench/cluster.py's hosts): production settings with throwaway secrets made for
    the run, plain HTTP, mail to the bench's SMTP sink, and no intake limits;
    `values` on top."""
    return child_env(
        drop=["DJANGO_SETTINGS_MODULE"],
        **{
            # Production settings, with throwaway secrets made for this run.
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "FIELD_HASH_KEY": secrets.token_urlsafe(32),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": site_url,
            # No TLS inside the bench: the proxy says http, so Django must not redirect.
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "STATIC_ROOT": str(static_root),
            **mail,
            # One load generator posts from one address: lift the per-address
            # limits for this run only (the product's defaults are untouched).
            "ADMISSIONS_RATE_LIMIT": "100000000/h",
            "ADMISSIONS_POST_RATE_LIMIT": "100000000/h",
            # The load is an intake flood by design: no ceiling for everyone either.
            "ADMISSIONS_GLOBAL_LIMIT_PER_MINUTE": "0",
            **values,
        },
    )


class Stack:
    """Everything `make bench` runs, on free loopback ports under one work directory."""

    def __init__(self, work: Path, database_url: str):
        self.work = work
        self.logs = work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url
        self.redis_port = free_port()
        self.web_port = free_port()
        self.intake_port = free_port()
        self.static_port = free_port()
        self.proxy_port = free_port()
        self.static_root = work / "staticfiles"
        self.processes: list[ManagedProcess] = []
        self.sink = MailArrivals()
        self.smtp = SmtpSink(on_accept=self.sink.record)
        self.env = self._environment()

    # --- Environment ----------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        return bench_environment(
            site_url=f"http://127.0.0.1:{self.proxy_port}",
            database_url=self.database_url,
            redis_url=f"redis://127.0.0.1:{self.redis_port}/0",
            static_root=self.static_root,
            mail=self.smtp.env,
        )

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True)

    def python(self, *args: str, timeout: float | None = None) -> str:
        """Run `python -m <args>` with the bench environment; its standard output."""
        result = subprocess.run(
            [sys.executable, "-m", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.PIPE,
            timeout=timeout,
            text=True,
        )
        return result.stdout

    # --- Services -------------------------------------------------------------------

    def start_redis(self) -> None:
        redis = RedisServer(port=self.redis_port, name="redis", logs=self.logs)
        self.processes.append(redis.start())

    def start_smtp(self) -> None:
        self.smtp.up()

    def start_web(self) -> GunicornServer:
        # As many workers as deploy/gunicorn.conf.py (or WEB_CONCURRENCY) says.
        web = GunicornServer(
            self.env, workers=None, port=self.web_port, name="gunicorn", logs=self.logs
        )
        self.processes.append(web)
        return web.start()

    def start_intake_web(self) -> GunicornServer:
        """The intake form's own gunicorn, as the Procfile's "intake" starts it."""
        web = IntakeGunicornServer(
            self.env, workers=None, port=self.intake_port, name="gunicorn-intake", logs=self.logs
        )
        self.processes.append(web)
        return web.start()

    def start_worker(self) -> CeleryWorker:
        worker = CeleryWorker(self.env, name="worker", logs=self.logs)
        self.processes.append(worker)
        return worker.start()

    def start_nginx(self, site_root: Path) -> ManagedProcess:
        prefix = self.work / "nginx"
        prefix.mkdir(exist_ok=True)
        for path in (self.work, prefix, site_root, self.static_root):
            path.chmod(0o755)  # nginx's workers run as another user when started as root
        conf = prefix / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                prefix=prefix,
                site_root=site_root,
                static_root=self.static_root,
                site_http=site_http_directives(prefix, self.web_port, self.intake_port),
                static_port=self.static_port,
                proxy_port=self.proxy_port,
                proxy_rules=PROXY_RULES,
            )
        )
        command = [NGINX, "-c", str(conf), "-p", str(prefix)]
        subprocess.run([*command, "-t", "-q"], check=True)
        nginx = ManagedProcess("nginx", command, self.env, self.logs).start()
        self.processes.append(nginx)
        wait_until(lambda: port_open(self.proxy_port), 15, what="nginx")
        return nginx

    def process(self, name: str) -> ManagedProcess:
        return next(process for process in self.processes if process.name == name)

    def database_backends(self) -> list[int]:
        """PostgreSQL's server processes for the bench database."""
        query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        result = subprocess.run(
            ["psql", self.database_url, "-tAc", query], capture_output=True, text=True, check=False
        )
        return [int(line) for line in result.stdout.split() if line.isdigit()]

    def web_groups(self) -> tuple[str, ...]:
        """The CPU meter's names of the web processes."""
        return ("gunicorn", "gunicorn-intake")

    def cpu_meter(self, *names: str) -> CpuMeter:
        groups = {
            "gunicorn": lambda: process_tree(self.process("gunicorn").process.pid),
            "gunicorn-intake": lambda: process_tree(self.process("gunicorn-intake").process.pid),
            "worker": lambda: process_tree(self.process("worker").process.pid),
            "redis": lambda: [self.process("redis").process.pid],
            "postgres": self.database_backends,
            "nginx": lambda: process_tree(self.process("nginx").process.pid),
        }
        return CpuMeter({name: groups[name] for name in names})

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        self.smtp.down()

    def describe_commands(self) -> dict:
        return {
            "web": procfile_command("web"),
            "intake": procfile_command("intake"),
            "worker": shlex.split(procfile_command("worker"))[0] + " ... (deploy/Procfile)",
        }


# Two servers in one nginx: (c) the guide's bytes as a static file, the limit; and
# (b) the site as deploy/nginx/cardinal.conf serves it (gzip, /static/, and the
# shipped proxy rules, included as they are), on plain HTTP instead of TLS. Access
# logs are off in both, so they are compared on the same terms.
NGINX_CONF = """\
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
daemon off;

events {{
    worker_connections 4096;
}}

http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

    # deploy/nginx/cardinal.conf's zones, maps, log format and upstream.
{site_http}

    server {{
        listen 127.0.0.1:{static_port};
        root {site_root};
    }}

    server {{
        listen 127.0.0.1:{proxy_port};
        client_max_body_size 128k;

        gzip on;
        gzip_comp_level 5;
        gzip_types text/css application/javascript application/json image/svg+xml application/xml;
        gzip_min_length 1024;

        location /static/ {{
            alias {static_root}/;
            gzip_static on;
            add_header Cache-Control "public, max-age=31536000, immutable";
        }}

        include {proxy_rules};
    }}
}}
"""
