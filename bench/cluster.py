"""`make bench-cluster`: the site on several hosts, built on this one machine.

Each host is a network namespace of its own (crbench-db, crbench-redis, crbench-web1,
crbench-web2, crbench-worker1, crbench-worker2, crbench-beat), joined by veth pairs to
a bridge (crbench-br) on 10.213.0.0/24. This machine's own namespace is the client
(10.213.0.1): it runs the load generator (wrk), nginx load-balancing the two web
hosts (the shipped proxy rules), and the SMTP sink the workers send to. The database
host runs a PostgreSQL cluster of its own (initdb into the work directory), never
the machine's server on 5432.

It measures, prints one table and writes it as JSON to bench/results/cluster-*.json:

1. guide GET and intake POST throughput through nginx with one and with two web hosts;
2. how soon a guide saved on host A is served fresh by host B (the page cache's
   generation token);
3. a web host killed (SIGKILL) under a load of guide GETs and intake POSTs: intakes
   sent, acknowledged and saved, none saved twice or lost, what the clients saw;
4. a worker host killed while it sends a mail (the sink holds DATA): the mail
   arrives exactly once;
5. beat on one host: the periodic tasks run once per interval; a second beat
   started on a worker host stands by (cardinal/beat.py: only the beat holding a
   lock in Redis sends), so they are not doubled; the beat host killed, the second
   takes over once the lock expires.

Nothing here fails on a time. Everything it made (namespaces, links, processes,
the work directory) is removed on success, on failure and on Ctrl-C, and the table
says what `ip netns`, `ip link` and the process list still show of it (nothing).

    python -m bench.cluster [--quick] [--duration 10] [--keep] [--only beat,...]
    python -m bench.cluster --cleanup     # remove what a killed run left behind
"""

import argparse
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from statistics import median
from urllib.parse import parse_qsl, urlencode

PREFIX = "crbench-"
BRIDGE = "crbench-br"
SUBNET = "10.213.0"
CLIENT = f"{SUBNET}.1"
HOSTS = {
    "db": 10,
    "redis": 11,
    "web1": 21,
    "web2": 22,
    "worker1": 31,
    "worker2": 32,
    "beat": 41,
}
WEB_PORT = 8000
GUIDE = "/medications/baclofen/"
# The periodic sweeps run this often in the cluster (a minute in production), so
# that a run sees several intervals and a lost notification comes back soon.
SWEEP_SECONDS = 5
SWEEPS = (
    "admissions.tasks.intakes_requeue_unnotified",
    "admissions.tasks.intakes_escalate_overdue",
    "admissions.tasks.intakes_anonymise_expired",
)
# The beats' lock (cardinal/beat.py) lasts this long here (30 s in production), so
# that a standby's takeover of a killed beat is seen within the run.
BEAT_LOCK_SECONDS = 10
PG_BIN = Path("/usr/lib/postgresql/15/bin")
ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SUBJECT = re.compile(r"Intake (CR-[0-9A-Z]+) waiting")
TAG_FIELD = "message"  # the free-text field that carries each posted form's tag


def log(message: str) -> None:
    print(f"[bench-cluster] {message}", file=sys.stderr, flush=True)


def ip_of(host: str) -> str:
    return f"{SUBNET}.{HOSTS[host]}"


def namespace(host: str) -> str:
    return PREFIX + host


def run(*command: str, check: bool = True) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {result.stderr.strip()}")
    return result.stdout


# --- The network ----------------------------------------------------------------------


def namespace_pids(name: str) -> list[int]:
    return [int(pid) for pid in run("ip", "netns", "pids", name, check=False).split()]


def our_namespaces() -> list[str]:
    names = [line.split()[0] for line in run("ip", "netns", "list").splitlines() if line]
    return [name for name in names if name.startswith(PREFIX)]


def our_links() -> list[str]:
    names = re.findall(r"^\d+: ([^:@]+)", run("ip", "-o", "link", "show"), re.M)
    return [name for name in names if name.startswith(PREFIX)]


def our_processes(work: Path | None = None) -> list[str]:
    """Processes of a run still alive: in our namespaces, or naming the work directory."""
    found = [f"{pid} in {name}" for name in our_namespaces() for pid in namespace_pids(name)]
    if work is not None:
        marker = str(work).encode()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                with contextlib.suppress(OSError):
                    if marker in (entry / "cmdline").read_bytes():
                        found.append(f"{entry.name} ({work.name})")
    return found


def leftovers(work: Path | None = None) -> dict[str, list[str]]:
    """What `ip netns list`, `ip link`, the CPU cgroups and the process list still
    show of a run."""
    return {
        "namespaces": our_namespaces(),
        "links": our_links(),
        "cgroups": our_cgroups(),
        "processes": our_processes(work),
        "work_directory": [str(work)] if work is not None and work.exists() else [],
    }


def remove_network() -> None:
    """SIGKILL every process in our namespaces, delete them (their veth ends go with
    them) and the bridge. Safe to call when nothing, or only part, exists."""
    for name in our_namespaces():
        for pid in namespace_pids(name):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(namespace_pids(name) for name in our_namespaces()) and time.monotonic() < deadline:
        time.sleep(0.1)
    for name in our_namespaces():
        run("ip", "netns", "delete", name, check=False)
    for link in our_links():
        run("ip", "link", "delete", link, check=False)
    remove_cgroups()


def build_network() -> None:
    run("ip", "link", "add", BRIDGE, "type", "bridge")
    run("ip", "addr", "add", f"{CLIENT}/24", "dev", BRIDGE)
    run("ip", "link", "set", BRIDGE, "up")
    for host in HOSTS:
        ns, link = namespace(host), PREFIX + host
        run("ip", "netns", "add", ns)
        run("ip", "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", ns)
        run("ip", "link", "set", link, "master", BRIDGE, "up")
        inside = ("ip", "netns", "exec", ns)
        run(*inside, "ip", "addr", "add", f"{ip_of(host)}/24", "dev", "eth0")
        run(*inside, "ip", "link", "set", "eth0", "up")
        run(*inside, "ip", "link", "set", "lo", "up")


# --- CPU per host ----------------------------------------------------------------------
# Every host shares this machine's cores, so two web hosts could only split the CPU
# one host already uses. Each web host is given a share of a core of its own (a CPU
# cgroup with a quota), leaving the rest of the machine to nginx, the database and
# the load generator: adding a web host then adds CPU, as a real one would.


def cgroup_parent() -> tuple[Path, str] | None:
    """Where CPU cgroups are made (cgroup v1's cpu hierarchy, or v2), and which."""
    v1 = Path("/sys/fs/cgroup/cpu")
    if (v1 / "cpu.cfs_quota_us").exists() or (v1 / "cgroup.procs").exists():
        return v1, "v1"
    v2 = Path("/sys/fs/cgroup")
    with contextlib.suppress(OSError):
        if "cpu" in (v2 / "cgroup.subtree_control").read_text().split():
            return v2, "v2"
    return None


def our_cgroups() -> list[str]:
    parent = cgroup_parent()
    return [str(path) for path in parent[0].glob(PREFIX + "*")] if parent else []


def cap_host_cpu(host: str, cores: float) -> bool:
    """Hold a host's processes (and the ones they fork later) to `cores` of CPU."""
    parent = cgroup_parent()
    if parent is None:
        return False
    folder, version = parent[0] / (PREFIX + host), parent[1]
    folder.mkdir(exist_ok=True)
    quota = int(cores * 100_000)
    if version == "v1":
        (folder / "cpu.cfs_period_us").write_text("100000")
        (folder / "cpu.cfs_quota_us").write_text(str(quota))
    else:
        (folder / "cpu.max").write_text(f"{quota} 100000")
    for pid in namespace_pids(namespace(host)):
        with contextlib.suppress(OSError):
            (folder / "cgroup.procs").write_text(str(pid))
    return True


def remove_cgroups() -> None:
    for folder in our_cgroups():
        deadline = time.monotonic() + 10
        while True:
            try:
                os.rmdir(folder)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


def kill_host(host: str) -> int:
    """SIGKILL every process of a host at once, as when it loses power."""
    pids = namespace_pids(namespace(host))
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)


# --- Mail ---------------------------------------------------------------------------


def bridge_sink(on_accept):
    """The tests' SMTP sink (tests/harness.py), listening on the client's bridge
    address so that the worker hosts reach it."""
    from aiosmtpd.controller import Controller

    from tests.harness import SmtpSink

    class BridgeSink(SmtpSink):
        def up(self):
            if self._controller is None:
                controller = Controller(self, hostname=CLIENT, port=self.port)
                controller.start()
                self._controller = controller
            return self

        @property
        def env(self):
            return {"EMAIL_HOST": CLIENT, "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "0"}

    return BridgeSink(on_accept=on_accept)


class MailCount:
    """Mails accepted at the sink, counted by the intake reference in the subject."""

    def __init__(self):
        self._lock = threading.Lock()
        self.by_reference: Counter[str] = Counter()
        self.first: dict[str, float] = {}

    def record(self, message: Message, arrived: float) -> None:
        match = SUBJECT.search(message.get("Subject", ""))
        if match:
            with self._lock:
                self.by_reference[match.group(1)] += 1
                self.first.setdefault(match.group(1), arrived)

    def count(self, reference: str) -> int:
        with self._lock:
            return self.by_reference[reference]

    def snapshot(self) -> Counter:
        with self._lock:
            return Counter(self.by_reference)


# --- The cluster --------------------------------------------------------------------


class Cluster:
    def __init__(self, work: Path):
        from tests.harness import free_port

        self.work = work
        work.chmod(0o755)  # PostgreSQL and nginx's workers run as other users
        self.logs = work / "logs"
        self.logs.mkdir(parents=True)
        self.processes: dict[str, object] = {}  # name -> ManagedProcess
        self.mail = MailCount()
        self.sink = bridge_sink(self.mail.record)
        self.shipped_port = free_port()  # nginx with the shipped proxy rules
        self.plain_port = free_port()  # nginx passing every request to a web host
        self.upstreams: list[str] = []
        self.database_url = f"postgres://postgres@{ip_of('db')}:5432/cardinal"
        self.redis_url = f"redis://{ip_of('redis')}:6379/0"
        self.env = self._environment()

    def _environment(self) -> dict[str, str]:
        from bench.stack import bench_environment

        return bench_environment(
            site_url=f"http://127.0.0.1:{self.shipped_port}",
            database_url=self.database_url,
            redis_url=self.redis_url,
            static_root=self.work / "staticfiles",
            mail=self.sink.env,
            # nginx reaches the web hosts from the client's bridge address.
            TRUSTED_PROXIES=f"{CLIENT}/32",
            GUNICORN_FORWARDED_ALLOW_IPS=CLIENT,
            ADMISSIONS_HOURS="mon-sun 00:00-24:00",
            ADMISSIONS_SWEEP_SECONDS=str(SWEEP_SECONDS),
            ADMISSIONS_RENOTIFY_AFTER_SECONDS="20",
            CELERY_VISIBILITY_TIMEOUT="30",
            CELERY_BEAT_LOCK_SECONDS=str(BEAT_LOCK_SECONDS),
        )

    # --- Processes ------------------------------------------------------------

    def start(self, name: str, host: str | None, command: list[str], **env: str):
        from tests.harness import ManagedProcess

        prefix = ["ip", "netns", "exec", namespace(host)] if host else []
        process = ManagedProcess(name, prefix + command, {**self.env, **env}, self.logs)
        self.processes[name] = process.start()
        return process

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True)

    def python(self, *args: str, host: str | None = None) -> str:
        """`python -m <args>` with the cluster's environment, on a host or the client."""
        prefix = ["ip", "netns", "exec", namespace(host)] if host else []
        result = subprocess.run(
            [*prefix, sys.executable, "-m", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"python -m {' '.join(args)}: {result.stderr[-2000:]}")
        return result.stdout

    def inside(self, *args: str, host: str | None = None) -> dict:
        """A command of this module run in a Django process (see `inside_main`)."""
        output = self.python("bench.cluster", "--inside", *args, host=host)
        return json.loads(output.strip().splitlines()[-1])

    def start_database(self) -> None:
        data = self.work / "pgdata"
        data.mkdir()
        shutil.chown(data, "postgres", "postgres")
        as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
        subprocess.run(
            [*as_postgres, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres",
             "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True,
        )  # fmt: skip
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {SUBNET}.0/24 trust\n")
        self.start(
            "postgres",
            "db",
            [*as_postgres, str(PG_BIN / "postgres"), "-D", str(data),
             "-c", f"listen_addresses={ip_of('db')}", "-c", f"unix_socket_directories={data}",
             "-c", "max_connections=200"],
        )  # fmt: skip
        wait_port(ip_of("db"), 5432, "PostgreSQL")
        deadline = time.monotonic() + 30
        while True:
            done = subprocess.run(
                ["createdb", "-h", ip_of("db"), "-U", "postgres", "cardinal"],
                capture_output=True,
                check=False,
            )
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"createdb: {done.stderr.decode()}")
            time.sleep(0.3)

    def start_redis(self) -> None:
        self.start(
            "redis",
            "redis",
            ["redis-server", "--port", "6379", "--bind", ip_of("redis"), "--protected-mode", "no",
             "--save", "", "--appendonly", "no", "--dir", str(self.work)],
        )  # fmt: skip
        wait_port(ip_of("redis"), 6379, "Redis")

    def start_web(self, host: str) -> None:
        from tests.integration.processes import procfile_command

        self.start(
            host,
            host,
            ["bash", "-c", procfile_command("web")],
            GUNICORN_BIND=f"{ip_of(host)}:{WEB_PORT}",
        )

        def healthy():
            self.processes[host].check()
            try:
                status, _ = get(ip_of(host), WEB_PORT, "/healthz", timeout=2)
                return status == 200
            except OSError:
                return False

        wait_for(healthy, 60, f"gunicorn on {host}")

    def start_celery(self, name: str, host: str, kind: str) -> None:
        from tests.integration.processes import READY, procfile_command

        process = self.start(
            name,
            host,
            ["bash", "-c", procfile_command(kind)],
            CELERY_BEAT_SCHEDULE_FILE=str(self.work / f"celerybeat-{name}"),
        )
        if kind == "worker":
            wait_for(
                lambda: (process.check(), READY.search(process.log_since(0)))[1],
                60,
                f"the worker on {host}",
            )
        else:
            wait_for(lambda: "beat: Starting" in process.log_since(0), 60, f"beat on {host}")

    def start_nginx(self) -> None:
        from tests.harness import ManagedProcess
        from tests.integration.nginx import NGINX

        prefix = self.work / "nginx"
        prefix.mkdir()
        for path in (self.work, prefix, self.work / "staticfiles"):
            path.chmod(0o755)  # nginx's workers run as another user
        self.set_upstreams(["web1", "web2"], reload=False)
        command = [NGINX, "-c", str(prefix / "nginx.conf"), "-p", str(prefix)]
        subprocess.run([*command, "-t", "-q"], check=True)
        self.processes["nginx"] = ManagedProcess("nginx", command, self.env, self.logs).start()
        wait_port("127.0.0.1", self.shipped_port, "nginx")

    def set_upstreams(self, hosts: list[str], reload: bool = True) -> None:
        """Write nginx's config with these web hosts behind it; reload nginx."""
        from tests.integration.nginx import PROXY_RULES, site_http_directives

        prefix = self.work / "nginx"
        servers = "".join(f"server {ip_of(host)}:{WEB_PORT};\n    " for host in hosts)
        shipped = site_http_directives(prefix, WEB_PORT)
        one = f"server 127.0.0.1:{WEB_PORT};\n    "
        if one not in shipped:
            raise RuntimeError("deploy/nginx/cardinal.conf's upstream is not one server line")
        http = shipped.replace(one, servers)
        (prefix / "nginx.conf").write_text(
            NGINX_CONF.format(
                prefix=prefix,
                site_http=http,
                static_root=self.work / "staticfiles",
                shipped_port=self.shipped_port,
                plain_port=self.plain_port,
                proxy_rules=PROXY_RULES,
            )
        )
        self.upstreams = list(hosts)
        if reload:
            nginx = self.processes["nginx"]
            os.kill(nginx.process.pid, signal.SIGHUP)
            time.sleep(1.5)  # the old workers finish, the new ones take over

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            with contextlib.suppress(Exception):
                process.kill()
        self.processes.clear()
        with contextlib.suppress(Exception):
            self.sink.down()

    # --- Looking inside ---------------------------------------------------------

    def cpu_meter(self, *groups: str):
        from bench.stack import CpuMeter, process_tree

        def hosts(prefix):
            return lambda: [
                pid for host in HOSTS if host.startswith(prefix)
                for pid in namespace_pids(namespace(host))
            ]  # fmt: skip

        known = {
            "web": hosts("web"),
            "worker": hosts("worker"),
            "postgres": hosts("db"),
            "redis": hosts("redis"),
            "nginx": lambda: process_tree(self.processes["nginx"].process.pid),
        }
        return CpuMeter({name: known[name] for name in groups})

    def sql(self, query: str) -> list[list[str]]:
        output = run("psql", self.database_url, "-tAF", "\t", "-c", query)
        return [line.split("\t") for line in output.splitlines() if line]

    def connections(self) -> Counter:
        """Database sessions of the site, by the host they come from."""
        rows = self.sql(
            "SELECT host(client_addr), count(*) FROM pg_stat_activity "
            "WHERE datname = 'cardinal' AND client_addr IS NOT NULL "
            "AND pid <> pg_backend_pid() GROUP BY 1"
        )
        by_ip = {f"{SUBNET}.{number}": host for host, number in HOSTS.items()}
        by_ip[CLIENT] = "client"
        return Counter({by_ip.get(ip, ip): int(count) for ip, count in rows})

    def redis(self, *command: str) -> str:
        return run("redis-cli", "-h", ip_of("redis"), *command).strip()

    def redis_info(self) -> dict[str, str]:
        fields = {}
        for line in self.redis("INFO").splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key] = value.strip()
        return fields

    def broker_idle(self) -> bool:
        from tests.integration.processes import broker_idle

        return broker_idle(self.redis_url)


# Two servers in one nginx on the client: the site as deploy/nginx/cardinal.conf
# serves it (the shipped proxy rules, with their micro-cache for guide pages), and
# the same upstream without any cache, so that every request reaches a web host.
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
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

    # deploy/nginx/cardinal.conf's zones, maps and upstream, with this cluster's web hosts.
{site_http}

    server {{
        listen 127.0.0.1:{shipped_port};
        client_max_body_size 128k;
        location /static/ {{
            alias {static_root}/;
        }}
        include {proxy_rules};
    }}

    server {{
        listen 127.0.0.1:{plain_port};
        client_max_body_size 128k;
        location / {{
            proxy_pass http://cardinal_web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


# --- Small tools --------------------------------------------------------------------


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    from tests.harness import wait_until

    return wait_until(predicate, timeout, interval=interval, what=what)


def wait_port(host: str, port: int, what: str) -> None:
    import socket

    def open_():
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            return False

    wait_for(open_, 30, what)


def get(host: str, port: int, path: str, timeout: float = 5) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def tagged(form, tag: str):
    """The form with `tag` as its message, to find it in the database afterwards."""
    from bench.intake import PreparedForm

    fields = [(name, tag if name == TAG_FIELD else value) for name, value in parse_qsl(form.body)]
    return PreparedForm(body=urlencode(fields), cookie=form.cookie)


def sample_max(stop: threading.Event, probe, interval: float = 0.5) -> dict:
    """Run in a thread: the largest value `probe` returned until `stop`."""
    peak: dict = {"value": None}

    def loop():
        while not stop.is_set():
            with contextlib.suppress(Exception):
                value = probe()
                if peak["value"] is None or sum(value.values()) > sum(peak["value"].values()):
                    peak["value"] = value
            stop.wait(interval)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    peak["thread"] = thread
    return peak


def settle(cluster: Cluster, timeout: float = 60) -> None:
    """Wait until the web and worker hosts are idle: requests a run left queued at
    a web host (wrk gone, the request already read) are served after it ends, and
    their CPU must not count in the next run."""
    meter = cluster.cpu_meter("web", "worker")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        meter.start()
        time.sleep(0.5)
        if sum(meter.stop().values()) < 0.025:  # under 5% of a core
            return


def access_counts(cluster: Cluster, marks: dict[str, int], pattern: str) -> dict[str, int]:
    """Lines of each web host's access log since `marks` that match `pattern`."""
    return {
        host: len(re.findall(pattern, cluster.processes[host].log_since(mark)))
        for host, mark in marks.items()
        if host in cluster.processes
    }


# --- 1. Throughput with one and two web hosts ----------------------------------------


def throughput(cluster: Cluster, forms: list, args) -> dict:
    from bench.run import load, wrk, wrk_forms

    results = {}
    for hosts in (["web1"], ["web1", "web2"]):
        cluster.set_upstreams(hosts)
        label = f"{len(hosts)} web host" + ("s" if len(hosts) > 1 else "")
        figures: dict = {"web_hosts": hosts}
        runs = (
            ("guide_shipped", f"http://127.0.0.1:{cluster.shipped_port}{GUIDE}"),
            ("guide_django", f"http://127.0.0.1:{cluster.plain_port}{GUIDE}"),
            ("guide_rendered", f"http://127.0.0.1:{cluster.plain_port}{GUIDE}?bench=render"),
        )
        for name, url in runs:
            marks = {host: cluster.processes[host].log_mark() for host in hosts}
            settle(cluster)
            meter = cluster.cpu_meter("web", "nginx", "postgres", "redis")
            figures[name] = load(url, args.duration, args.warmup, meter)
            figures[name]["by_host"] = access_counts(cluster, marks, r'"GET /medications/')
            log(f"{label}: {name} {figures[name]['rps']:,.0f} req/s")

        url = f"http://127.0.0.1:{cluster.shipped_port}/admissions/"
        per_run = int(args.forms_per_second * args.duration)
        warmup_args = wrk_forms(cluster.work, "warmup", forms, int(args.forms_per_second))
        load_args = wrk_forms(cluster.work, "load", forms, per_run)
        settle(cluster)
        wrk(url, 1, *warmup_args)
        settle(cluster)
        wait_for(cluster.broker_idle, args.drain_timeout, "the warm-up's mails", interval=0.5)
        before = cluster.inside("counts")
        commands_before = int(cluster.redis_info()["total_commands_processed"])
        marks = {host: cluster.processes[host].log_mark() for host in hosts}
        stop = threading.Event()
        peak = sample_max(stop, cluster.connections)
        meter = cluster.cpu_meter("web", "worker", "nginx", "postgres", "redis").start()
        started = time.monotonic()
        post = wrk(url, args.duration, *load_args)
        posted = time.monotonic()
        wait_for(cluster.broker_idle, args.drain_timeout, "the queue to drain", interval=0.2)
        drained = time.monotonic()
        used = meter.stop()
        stop.set()
        peak["thread"].join()
        after = cluster.inside("counts")
        commands = int(cluster.redis_info()["total_commands_processed"]) - commands_before
        saved = after["total"] - before["total"]
        post.update(
            {
                "by_host": access_counts(cluster, marks, r'"POST /admissions/" 302'),
                "intakes_saved": saved,
                "intakes_notified": after["notified"] - before["notified"],
                "mails_per_s": round(saved / max(drained - started, 1e-9), 1),
                "queue_drained_s_after_load": round(drained - posted, 1),
                "cpu_ms_per_intake": {
                    name: round(seconds * 1000 / max(saved, 1), 2) for name, seconds in used.items()
                },
                "redis_commands_per_intake": round(commands / max(saved, 1), 1),
                "db_connections_peak": dict(peak["value"] or {}),
            }
        )
        figures["intake_post"] = post
        log(f"{label}: intake POST {post['rps']:,.0f} req/s, {saved} saved")
        results[str(len(hosts))] = figures
    return results


# --- 2. A guide saved on host A, served by host B -------------------------------------


def freshness(cluster: Cluster, rounds: int) -> dict:
    """Save the guide on web1 (a Django process on that host, as the admin's save
    runs); poll web2 directly, and nginx, until each serves the new text."""
    watched = {
        "web2_direct": (ip_of("web2"), WEB_PORT),
        "through_nginx_micro_cache": ("127.0.0.1", cluster.shipped_port),
    }
    samples: dict[str, list[float]] = {name: [] for name in watched}
    for number in range(rounds):
        marker = f"cluster-revision-{number}-{secrets.token_hex(4)}"
        seen: dict[str, float] = {}
        stop = threading.Event()

        def poll(name, host, port, marker=marker, seen=seen, stop=stop):
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    _, body = get(host, port, GUIDE, timeout=2)
                    if marker.encode() in body:
                        seen[name] = time.monotonic()
                        return
                time.sleep(0.005)

        threads = [
            threading.Thread(target=poll, args=(name, *where), daemon=True)
            for name, where in watched.items()
        ]
        for thread in threads:
            thread.start()
        saved = cluster.inside("publish", marker, host="web1")["committed"]
        for thread in threads:
            thread.join(timeout=10)
        stop.set()
        for name in watched:
            if name in seen:
                samples[name].append(round(seen[name] - saved, 3))
        log(
            f"freshness round {number + 1}: "
            + ", ".join(f"{k} {v[-1:]}" for k, v in samples.items())
        )
    return {
        name: {
            "rounds": rounds,
            "served": len(values),
            "median_s": round(median(values), 3) if values else None,
            "max_s": max(values) if values else None,
            "samples_s": values,
        }
        for name, values in samples.items()
    }


# --- 3. A web host killed under load ----------------------------------------------------


def post_form(port: int, form) -> str:
    """POST one form through nginx; what the client saw."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            "/admissions/",
            body=form.body,
            headers={
                "Host": "127.0.0.1",
                "Content-Type": form.content_type,
                "Cookie": form.cookie,
            },
        )
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as exc:
        return f"error {type(exc).__name__}"
    finally:
        connection.close()
    if response.status == 302 and "thanks" in response.headers.get("Location", ""):
        return "acknowledged"
    return f"status {response.status}"


def web_host_killed(cluster: Cluster, forms: list, args) -> dict:
    cluster.set_upstreams(["web1", "web2"])
    run_tag = f"kill-{secrets.token_hex(3)}"
    batch = [tagged(form, f"{run_tag}-{number}") for number, form in enumerate(forms)]
    forms.clear()
    seconds = args.kill_seconds
    outcomes: dict[str, str] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    queue = list(reversed(batch))

    def client():
        while time.monotonic() < deadline:
            with lock:
                if not queue:
                    return
                form = queue.pop()
            tag = dict(parse_qsl(form.body))[TAG_FIELD]
            outcome = post_form(cluster.shipped_port, form)
            with lock:
                outcomes[tag] = outcome

    from bench.run import WRK_SCRIPT

    guide_load = subprocess.Popen(
        ["wrk", "-t1", "-c20", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(WRK_SCRIPT),
         f"http://127.0.0.1:{cluster.plain_port}{GUIDE}"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    with ThreadPoolExecutor(max_workers=args.post_clients) as pool:
        for _ in range(args.post_clients):
            pool.submit(client)
        time.sleep(seconds / 3)
        killed_at = time.monotonic()
        processes = kill_host("web2")
        log(f"web2 killed: {processes} processes (SIGKILL)")
    output, _ = guide_load.communicate(timeout=seconds + 60)
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    guide = json.loads(line[len("BENCH ") :])
    wait_for(cluster.broker_idle, args.drain_timeout, "the mails of the run", interval=0.5)
    saved = cluster.inside("tagged", run_tag)
    references = saved["references"]
    drained = time.monotonic()
    unmailed = [ref for ref in references if not cluster.mail.count(ref)]
    # An intake saved by web2 just before it died may have had its notification
    # never queued: the database keeps it, and beat's sweep queues it again.
    with contextlib.suppress(TimeoutError):
        wait_for(
            lambda: all(cluster.mail.count(ref) for ref in references),
            args.redelivery_timeout,
            "the sweep to mail every saved intake",
            interval=0.2,
        )
    swept = time.monotonic() - drained if unmailed else 0.0
    wait_for(cluster.broker_idle, args.drain_timeout, "the queue to drain", interval=0.5)
    time.sleep(1)
    mails = cluster.mail.snapshot()
    seen = Counter(outcome for outcome in outcomes.values())
    acknowledged = {tag for tag, outcome in outcomes.items() if outcome == "acknowledged"}
    saved_tags = saved["tags"]
    return {
        "seconds": seconds,
        "killed_after_s": round(killed_at - (deadline - seconds), 1),
        "post_clients": args.post_clients,
        "intakes_sent": len(outcomes),
        "acknowledged": len(acknowledged),
        "client_saw": dict(seen),
        "saved": sum(saved_tags.values()),
        "saved_twice": sum(1 for count in saved_tags.values() if count > 1),
        "acknowledged_not_saved": len(acknowledged - set(saved_tags)),
        "saved_not_acknowledged": len(set(saved_tags) - acknowledged),
        "mails": {
            "intakes_mailed_once": sum(1 for ref in references if mails[ref] == 1),
            "not_mailed": sum(1 for ref in references if mails[ref] == 0),
            "mailed_twice": sum(1 for ref in references if mails[ref] > 1),
            "unmailed_when_the_queue_drained": len(unmailed),
            "mailed_by_the_sweep_within_s": round(swept, 1),
        },
        "guide_get": {
            "requests": guide["requests"],
            "errors": guide["errors"],
            "rps": round(guide["requests"] / (guide["duration_us"] / 1e6), 1),
            "p99_ms": guide["latency_us"]["p99"] / 1000,
            "max_ms": guide["latency_us"]["max"] / 1000,
        },
    }


# --- 4. A worker host killed mid-mail ---------------------------------------------------


def worker_host_killed(cluster: Cluster, form, args) -> dict:
    from bench.intake import submit_probe

    cluster.sink.hold()
    try:
        _, reference = submit_probe(cluster.shipped_port, form)
        wait_for(lambda: cluster.sink.holding, 30, "the mail to reach the sink", interval=0.02)
        peer = cluster.sink.held_peers[0][0]
        host = next(name for name in HOSTS if ip_of(name) == peer)
        killed_at = time.monotonic()
        processes = kill_host(host)
        log(f"{host} killed mid-mail: {processes} processes (SIGKILL)")
        time.sleep(0.5)
    finally:
        cluster.sink.release()
    wait_for(lambda: cluster.mail.count(reference), args.redelivery_timeout, "the mail, again")
    arrived = cluster.mail.first[reference]
    # The killed worker's message is still taken (unacknowledged) in Redis until the
    # visibility timeout and the transport's restore sweep hand it out again; that
    # second run must find the intake notified and send nothing.
    with contextlib.suppress(TimeoutError):
        wait_for(cluster.broker_idle, args.redelivery_timeout, "the unacknowledged message")
    time.sleep(2)
    state = cluster.inside("intake", reference)
    return {
        "killed_host": host,
        "processes_killed": processes,
        "mails_accepted_for_the_intake": cluster.mail.count(reference),
        "abandoned_at_the_sink": cluster.sink.abandoned,
        "mail_after_kill_s": round(arrived - killed_at, 1),
        "requeued_by_beat_sweep": state["requeued"],
        "original_message_redelivered_and_dropped": cluster.broker_idle(),
    }


# --- 5. Beat ----------------------------------------------------------------------------


def sweeps_received(log_text: str) -> Counter:
    found = re.findall(r"Task (admissions\.tasks\.intakes_\w+)\[[^\]]+\] received", log_text)
    return Counter(name for name in found if name in SWEEPS)


SENT = "Scheduler: Sending due task "


def beat(cluster: Cluster, args) -> dict:
    """Sweeps received by the workers in a window with one beat, then with a second
    one started on a worker host (cardinal/beat.py: it stands by), then after the
    beat host is killed (the standby takes over once the lock expires)."""
    workers = [name for name in ("worker1", "worker2") if cluster.processes[name].running]
    window = args.beat_window
    beats = ("beat", "beat-second")

    def count() -> tuple[dict, dict]:
        marks = {name: cluster.processes[name].log_mark() for name in (*workers, *beats)
                 if name in cluster.processes}  # fmt: skip
        time.sleep(window)
        total: Counter = Counter()
        for name in workers:
            total += sweeps_received(cluster.processes[name].log_since(marks[name]))
        sent = {name: cluster.processes[name].log_since(marks[name]).count(SENT)
                for name in beats if name in marks}  # fmt: skip
        return {name.rsplit(".", 1)[1]: total[name] for name in SWEEPS}, sent

    intervals = window / SWEEP_SECONDS
    one, _ = count()
    host = workers[0]
    cluster.start_celery("beat-second", host, "beat")
    second = cluster.processes["beat-second"]
    wait_for(lambda: "standing by" in second.log_since(0), 30, "the second beat standing by")
    two, sent_by = count()

    mark = second.log_mark()
    killed_at = time.monotonic()
    kill_host("beat")
    wait_for(lambda: SENT in second.log_since(mark), 6 * BEAT_LOCK_SECONDS, "the takeover")
    takeover_s = time.monotonic() - killed_at
    after, _ = count()
    second.stop()
    cluster.processes.pop("beat-second")
    return {
        "sweep_seconds": SWEEP_SECONDS,
        "window_s": window,
        "intervals": intervals,
        "lock_seconds": BEAT_LOCK_SECONDS,
        "one_beat": one,
        "second_beat_on": host,
        "two_beats": two,
        "two_beats_sent_by": sent_by,
        "takeover_after_beat_host_killed_s": round(takeover_s, 1),
        "after_takeover": after,
    }


# --- Redis capacity ---------------------------------------------------------------------


def redis_capacity(cluster: Cluster) -> dict:
    """Memory a queued intake notification takes in Redis: 2,000 of them on a queue
    no worker reads, measured and deleted."""
    queue = "crbench-measure"
    before = int(cluster.redis_info()["used_memory"])
    count = cluster.inside("enqueue", queue, "2000")["queued"]
    after = int(cluster.redis_info()["used_memory"])
    cluster.redis("DEL", queue)
    return {"messages": count, "bytes_per_queued_task": round((after - before) / count)}


# --- The run ------------------------------------------------------------------------------


def ensure_tools(web: bool = True) -> None:
    """The tools a run needs; wrk and nginx only for the scenarios with web hosts."""
    if os.geteuid() != 0:
        raise SystemExit("bench-cluster makes network namespaces: run it as root")
    tools = ("ip", "redis-server", "psql", "createdb", "setpriv", *(("wrk",) if web else ()))
    missing = [tool for tool in tools if not shutil.which(tool)]
    if not (PG_BIN / "initdb").exists():
        missing.append(str(PG_BIN / "initdb"))
    if web and not Path("/usr/sbin/nginx").exists():
        missing.append("nginx")
    if missing:
        raise SystemExit(f"missing: {', '.join(missing)} (make bench-cluster installs them)")


def source() -> dict:
    """The commit measured, and whether the working tree had changes on top of it
    (BENCH_SOURCE_COMMIT names it when the tree is a copy without .git)."""
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    if head.returncode != 0:
        return {"commit": os.environ.get("BENCH_SOURCE_COMMIT", "unknown"), "changes": None}
    status = run("git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no")
    return {"commit": head.stdout.strip(), "changes": bool(status.strip())}


# The scenarios, in the order they run; all but beat need the web hosts and nginx.
SCENARIOS = ("throughput", "freshness", "web-kill", "worker-kill", "beat")
NEEDS_WEB = {"throughput", "freshness", "web-kill", "worker-kill"}


def scenarios(value: str) -> list[str]:
    chosen = [name.strip() for name in value.split(",") if name.strip()]
    unknown = set(chosen) - set(SCENARIOS)
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose among {', '.join(SCENARIOS)}")
    return [name for name in SCENARIOS if name in chosen]


def forms_needed(args) -> tuple[int, int]:
    per_config = int(args.forms_per_second * (args.duration + 1))
    return 2 * per_config, int(args.kill_forms)


def measure(args) -> dict:
    from bench import intake

    web = bool(set(args.only) & NEEDS_WEB)
    ensure_tools(web)
    if our_namespaces() or our_links() or our_cgroups():
        log("removing what an earlier run left behind")
        remove_network()
    begun = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="crbench-"))
    results: dict = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": [round(value, 2) for value in os.getloadavg()],
        },
        "hosts": {host: ip_of(host) for host in HOSTS} | {"client (nginx, wrk, smtp)": CLIENT},
        "quick": args.quick,
        "source": source(),
    }
    cluster = None
    try:
        log(f"network {SUBNET}.0/24, work directory {work}")
        build_network()
        cluster = Cluster(work)
        cluster.start_database()
        cluster.start_redis()
        cluster.sink.up()
        log("migrate, collectstatic, load_guides")
        cluster.manage("migrate", "--noinput", "-v0")
        cluster.manage("collectstatic", "--noinput", "-v0")
        cluster.manage("load_guides", "-v0")
        cluster.python("bench.inprocess", "setup")
        if web:
            for host in ("web1", "web2"):
                cluster.start_web(host)
        for host in ("worker1", "worker2"):
            cluster.start_celery(host, host, "worker")
        cluster.start_celery("beat", "beat", "beat")
        forms: list = []
        if web:
            cluster.start_nginx()
            throughput_forms, kill_forms = forms_needed(args)
            log(f"loading the intake form {throughput_forms + kill_forms + 1:,} times")
            forms = intake.prepare_many(cluster.shipped_port, throughput_forms + kill_forms + 1)
            log(f"forms loaded in {time.monotonic() - begun:.0f} s since the start")
            probe_form = forms.pop()
            kill_batch = [forms.pop() for _ in range(kill_forms)]
            time.sleep(3)  # every form past the minimum fill time
        caps = {"web1": args.web_cpu, "web2": args.web_cpu} if web else {}
        caps |= {"worker1": args.worker_cpu, "worker2": args.worker_cpu}
        for host, cores in caps.items():  # once the forms are loaded, at full speed
            if cores and not cap_host_cpu(host, cores):
                log("no CPU cgroup to give each host its share of a core: not capped")
                args.web_cpu = args.worker_cpu = 0
                break
        results["web_host_cpu_cores"] = (args.web_cpu or None) if web else None
        results["worker_host_cpu_cores"] = args.worker_cpu or None
        results["only"] = args.only if set(args.only) != set(SCENARIOS) else None

        if "throughput" in args.only:
            log("1. throughput with one and two web hosts")
            results["throughput"] = throughput(cluster, forms, args)
            results["redis"] = redis_capacity(cluster)
            results["db_max_connections"] = int(cluster.sql("SHOW max_connections")[0][0])
        if "freshness" in args.only:
            log("2. a guide saved on web1, served by web2")
            results["freshness"] = freshness(cluster, args.rounds)
        if "web-kill" in args.only:
            log("3. web2 killed under load")
            results["web_host_killed"] = web_host_killed(cluster, kill_batch, args)
        if "worker-kill" in args.only:
            log("4. a worker host killed mid-mail")
            results["worker_host_killed"] = worker_host_killed(cluster, probe_form, args)
        if "beat" in args.only:
            log("5. beat on one host, a second one on a worker host, then the beat host killed")
            results["beat"] = beat(cluster, args)
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if cluster is not None:
            cluster.stop()
        remove_network()
        if args.keep:
            log(f"logs kept in {work}/logs")
        else:
            shutil.rmtree(work, ignore_errors=True)
        results["left_behind"] = leftovers(None if args.keep else work)
    results["machine"]["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
    results["duration_s"] = round(time.monotonic() - begun)
    return results


# --- The table ------------------------------------------------------------------------------


def rows(results: dict) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []

    def add(measure: str, result: str = "") -> None:
        out.append((measure, result))

    def timing(run: dict) -> str:
        errors = sum(run["errors"].values())
        text = f"{run['rps']:,.0f} req/s, p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms"
        return text + (f", {errors} errors" if errors else "")

    def split(by_host: dict) -> str:
        total = sum(by_host.values()) or 1
        return " / ".join(f"{host} {100 * count / total:.0f}%" for host, count in by_host.items())

    if t := results.get("throughput"):
        add("1. Throughput through nginx (wrk, 50 connections)")
        for key, figures in t.items():
            hosts = f"{key} web host" + ("s" if key != "1" else "")
            for name, label in (
                ("guide_shipped", "guide, shipped config (nginx micro-cache)"),
                ("guide_django", "guide, every request to Django (page cache)"),
                ("guide_rendered", "guide, every request rendered"),
            ):
                run = figures[name]
                cpu = ", ".join(
                    f"{group} {ms * 1000:.0f}" for group, ms in run["cpu_ms_per_request"].items()
                )
                add(f"  {hosts}: {label}", f"{timing(run)}; {split(run['by_host'])}")
                add("    CPU per request (us)", cpu)
            post = figures["intake_post"]
            cpu = post["cpu_ms_per_intake"]
            add(
                f"  {hosts}: intake POST",
                f"{timing(post)}; {post['intakes_saved']:,} saved, "
                f"{post['intakes_notified']:,} mailed; {split(post['by_host'])}"
                + (f"; {post['forms_reused']} forms sent twice" if post["forms_reused"] else ""),
            )
            add(
                f"  {hosts}: CPU per intake, post to mail (ms)",
                " + ".join(f"{name} {ms:.1f}" for name, ms in cpu.items())
                + f" = {sum(cpu.values()):.1f}",
            )
            add(
                f"  {hosts}: database sessions at peak; Redis commands per intake",
                ", ".join(f"{h} {n}" for h, n in sorted(post["db_connections_peak"].items()))
                + f" (of max_connections {results.get('db_max_connections')}); "
                f"{post['redis_commands_per_intake']}",
            )
    if r := results.get("redis"):
        add("  Redis memory per queued intake notification", f"{r['bytes_per_queued_task']} bytes")
    if f := results.get("freshness"):
        add("2. Guide saved on web1 until served with the change")
        for name, label in (
            ("web2_direct", "by web2 (its page cache)"),
            ("through_nginx_micro_cache", "through nginx (1 s micro-cache)"),
        ):
            figure = f[name]
            add(
                f"  {label}",
                f"median {figure['median_s']} s, max {figure['max_s']} s "
                f"({figure['served']} of {figure['rounds']} rounds)",
            )
    if k := results.get("web_host_killed"):
        add(f"3. web2 SIGKILLed {k['killed_after_s']} s into {k['seconds']:g} s of load")
        add(
            "  intakes sent / acknowledged / saved",
            f"{k['intakes_sent']:,} / {k['acknowledged']:,} / {k['saved']:,} "
            f"({k['post_clients']} clients)",
        )
        add(
            "  saved twice; acknowledged but not saved",
            f"{k['saved_twice']}; {k['acknowledged_not_saved']}",
        )
        add(
            "  what the intake clients saw",
            ", ".join(f"{name} {count}" for name, count in sorted(k["client_saw"].items()))
            + f"; saved without acknowledgement {k['saved_not_acknowledged']}",
        )
        m = k["mails"]
        add(
            "  navigator mails of the saved intakes",
            f"once {m['intakes_mailed_once']}, never {m['not_mailed']}, twice {m['mailed_twice']}"
            + (
                f"; {m['unmailed_when_the_queue_drained']} not queued (web2 died first), "
                f"mailed by beat's sweep {m['mailed_by_the_sweep_within_s']} s later"
                if m["unmailed_when_the_queue_drained"]
                else ""
            ),
        )
        g = k["guide_get"]
        errors = ", ".join(f"{name} {count}" for name, count in g["errors"].items() if count)
        add(
            "  guide GETs meanwhile (every one to a web host)",
            f"{g['requests']:,} requests, {g['rps']:,.0f}/s, p99 {g['p99_ms']:.0f} ms, "
            f"max {g['max_ms']:.0f} ms; failed: {errors or 'none'}",
        )
    if w := results.get("worker_host_killed"):
        add(f"4. {w['killed_host']} SIGKILLed while the sink held its mail's DATA")
        add(
            "  mails accepted for that intake (by reference)",
            f"{w['mails_accepted_for_the_intake']} "
            f"(abandoned at the sink: {w['abandoned_at_the_sink']}), "
            f"{w['mail_after_kill_s']} s after the kill",
        )
        add(
            "  how it came back",
            ("beat's sweep re-queued it" if w["requeued_by_beat_sweep"] else "redelivered")
            + "; the killed worker's message "
            + (
                "redelivered later and dropped (already notified)"
                if w["original_message_redelivered_and_dropped"]
                else "still unacknowledged in Redis at the end"
            ),
        )
    if b := results.get("beat"):
        add(
            f"5. Sweep tasks run in {b['window_s']:g} s ({b['intervals']:g} intervals of "
            f"{b['sweep_seconds']} s)"
        )

        def sweeps(counts: dict) -> str:
            return ", ".join(f"{n} {c}" for n, c in counts.items())

        add("  one beat (its own host)", sweeps(b["one_beat"]))
        if "two_beats_sent_by" in b:
            sent = b["two_beats_sent_by"]
            one_beat = b["one_beat"]
            doubled = any(count > one_beat[name] + 1 for name, count in b["two_beats"].items())
            add(
                f"  a second beat started on {b['second_beat_on']}",
                f"{sweeps(b['two_beats'])}: {'doubled' if doubled else 'not doubled'} "
                f"(sends: beat {sent.get('beat', 0)}, the second {sent.get('beat-second', 0)})",
            )
            add(
                "  the beat host killed: the second beat takes over",
                f"first send {b['takeover_after_beat_host_killed_s']:g} s after the kill "
                f"(lock {b['lock_seconds']} s); then {sweeps(b['after_takeover'])}",
            )
        else:  # a run from before the beat lock
            add(
                f"  a second beat started by mistake on {b['second_beat_on']}",
                sweeps(b["two_beats"]),
            )
    left = results.get("left_behind", {})
    add(
        "Left behind after the run (ip netns, ip link, cgroups, processes, work dir)",
        "; ".join(f"{kind}: {', '.join(items) or 'none'}" for kind, items in left.items()),
    )
    return out


def table(results: dict) -> str:
    lines = rows(results)
    width = max(len(measure) for measure, _ in lines)
    machine = results["machine"]
    head = (
        f"Cardinal Recovery cluster benchmark, {results['started_at']}, {machine['cpus']} CPUs "
        "shared by every host"
        + (
            f" (each web host held to {cores:g} of a core, each worker host to "
            f"{results.get('worker_host_cpu_cores') or 'no limit'})"
            if (cores := results.get("web_host_cpu_cores"))
            else (
                f" (each worker host held to {worker:g} of a core)"
                if (worker := results.get("worker_host_cpu_cores"))
                else ""
            )
        )
        + f", load average {machine['load_average_before'][0]} before and "
        f"{machine.get('load_average_after', ['?'])[0]} after; {results.get('duration_s')} s"
        + (" (--quick)" if results.get("quick") else "")
        + (f" (--only {','.join(only)})" if (only := results.get("only")) else "")
    )
    body = [f"{measure.ljust(width)} | {result}".rstrip() for measure, result in lines]
    return "\n".join([head, *body])


# --- Inside a Django process -------------------------------------------------------------


def inside_main(command: str, *args: str) -> dict:
    """What the cluster asks of the database, run with the site's settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cardinal.settings")
    import django

    django.setup()
    from admissions.models import Intake

    if command == "counts":
        return {
            "total": Intake.objects.count(),
            "notified": Intake.objects.filter(notified_at__isnull=False).count(),
        }
    if command == "publish":
        from django.db import transaction

        from education.models import Guide

        (marker,) = args
        with transaction.atomic():
            guide = Guide.objects.select_for_update().get(slug=GUIDE.strip("/").split("/")[-1])
            guide.description = f"{guide.description.split(' [')[0][:200]} [{marker}]"
            guide.save()
        return {"committed": time.monotonic()}
    if command == "tagged":
        (prefix,) = args
        tags: Counter = Counter()
        references = []
        for reference, message in Intake.objects.values_list("reference", TAG_FIELD).iterator():
            if message.startswith(prefix + "-"):
                tags[message] += 1
                references.append(reference)
        return {"tags": dict(tags), "references": references}
    if command == "intake":
        (reference,) = args
        intake = Intake.objects.get(reference=reference)
        return {"requeued": intake.requeued_at is not None, "notified": bool(intake.notified_at)}
    if command == "enqueue":
        from admissions.tasks import intake_notify

        queue, count = args
        for _ in range(int(count)):
            intake_notify.apply_async(args=[2**31], queue=queue)
        return {"queued": int(count)}
    raise SystemExit(f"no inside command {command}")


# --- Command line ------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--inside":
        print(json.dumps(inside_main(*sys.argv[2:])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per run")
    # Forms loaded for each second of wrk's POST load: more than two cores accept, so
    # that none is sent twice (a form is used once; "forms_reused" counts any).
    parser.add_argument("--forms-per-second", type=int, default=150)
    parser.add_argument(
        "--web-cpu",
        type=float,
        default=0.5,
        help="cores each web host may use (a CPU cgroup quota; 0: no limit)",
    )
    parser.add_argument(
        "--worker-cpu",
        type=float,
        default=0.25,
        help="cores each worker host may use (0: no limit); the mails queue meanwhile",
    )
    parser.add_argument("--kill-seconds", type=float, default=15)
    parser.add_argument("--kill-forms", type=int, default=1500)
    parser.add_argument("--post-clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=10, help="guide saves timed")
    parser.add_argument("--beat-window", type=float, default=30)
    parser.add_argument("--redelivery-timeout", type=float, default=180)
    parser.add_argument("--drain-timeout", type=float, default=300)
    parser.add_argument(
        "--only",
        type=scenarios,
        default=list(SCENARIOS),
        help=f"comma-separated scenarios to run ({', '.join(SCENARIOS)}); all by default",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    parser.add_argument("--quick", action="store_true", help="short runs (about 3 minutes)")
    parser.add_argument("--cleanup", action="store_true", help="remove a killed run's leftovers")
    args = parser.parse_args()
    if args.cleanup:
        remove_network()
        print(json.dumps(leftovers()))
        return
    if args.quick:
        args.duration, args.warmup, args.kill_seconds, args.kill_forms = 3, 1, 6, 800
        args.rounds, args.beat_window, args.redelivery_timeout = 3, 15, 150

    # SIGTERM and SIGHUP end the run as Ctrl-C does: through the clean-up.
    def interrupted(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    # Ctrl-C raises KeyboardInterrupt even where the shell started us with it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    results = measure(args)
    RESULTS.mkdir(exist_ok=True)
    stamp = results["started_at"].replace(":", "").replace("-", "")[:15]
    partial = set(args.only) != set(SCENARIOS)
    suffix = ("-quick" if args.quick else "") + ("-" + "-".join(args.only) if partial else "")
    name = f"cluster-{stamp}{suffix}.json"
    text = json.dumps(results, indent=2) + "\n"
    (RESULTS / name).write_text(text)
    if not args.quick and not partial:
        (RESULTS / "cluster-latest.json").write_text(text)
    print(table(results))
    print(f"\nWritten to bench/results/{name}")


if __name__ == "__main__":
    main()
