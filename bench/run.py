"""`make bench`: the site's speed next to this machine's limit, in one table.

Starts the production configuration on loopback (bench/stack.py), measures, prints
one table and writes it as JSON to bench/results/<timestamp>.json and latest.json.
Nothing here asserts on time: a target missed is reported, never failed.

    python -m bench.run [--duration 10] [--sizes 1000,10000,100000] [--quick]
                        [--only render,weight]
"""

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from statistics import quantiles
from urllib.parse import urlsplit

from bench import intake, nginx_check, pageweight
from bench.stack import Stack
from tests.harness import ROOT, wait_until

RESULTS = ROOT / "bench" / "results"
WRK_SCRIPT = ROOT / "bench" / "wrk_report.lua"
CONNECTIONS = 50
GUIDE = "/medications/baclofen/"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/cardinal_bench"

TARGETS = {
    "proxy_ratio": 0.5,
    "django_ratio": 1 / 20,
    "django_p99_ms": 25,
    "render_p50_ms": 5,
    "render_spanish_p50_ms": 5,
    "post_rps": 500,
    "post_p99_ms": 150,
    "web_cpu_ms": 2,
    "worker_cpu_ms": 2,
    "mail_idle_p95_s": 2,
    "admin_p95_ms": 300,
    "page_kb": 40,
    "heading_heavy_ms": 1000,
    "flood_reader_ratio": 0.5,
    "flood_reader_p99_ms": 50,
    "flood_lost": 0,
}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- Load -------------------------------------------------------------------------------


def wrk(url: str, seconds: float, *script_args: str, connections: int = CONNECTIONS) -> dict:
    """One wrk run (2 threads); its figures in ms and requests/s."""
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
        "-s", str(WRK_SCRIPT), url,
    ]  # fmt: skip
    if script_args:
        command += ["--", *script_args]
    output = subprocess.run(
        command, check=True, capture_output=True, text=True, timeout=seconds + 60
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    raw = json.loads(line[len("BENCH ") :])
    latency = raw["latency_us"]
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": latency["p50"] / 1000,
        "p90_ms": latency["p90"] / 1000,
        "p99_ms": latency["p99"] / 1000,
        "max_ms": latency["max"] / 1000,
        "errors": raw["errors"],
        "forms_reused": raw["forms_reused"],
        "accepted": raw["accepted"],
        "refused": raw["refused"],
        "bytes_per_request": round(raw["bytes"] / max(raw["requests"], 1)),
    }


def load(url: str, seconds: float, warmup: float, meter=None) -> dict:
    """A warm-up run, then the measured one; with a CpuMeter, the CPU time per request."""
    wrk(url, warmup)
    if meter:
        meter.start()
    result = wrk(url, seconds)
    if meter:
        used = meter.stop()
        result["cpu_ms_per_request"] = {
            name: round(seconds * 1000 / max(result["requests"], 1), 3)
            for name, seconds in used.items()
        }
    return result


def fetch(url: str, headers: dict | None = None) -> tuple[bytes, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read(), dict(response.headers)


# --- Guide ------------------------------------------------------------------------------


def guide(stack: Stack, site_root: Path, args) -> dict:
    direct = f"http://127.0.0.1:{stack.web_port}{GUIDE}"
    proxied = f"http://127.0.0.1:{stack.proxy_port}{GUIDE}"
    static = f"http://127.0.0.1:{stack.static_port}{GUIDE}"
    html, _ = fetch(direct)
    same, headers = fetch(proxied)
    fetch(proxied)
    _, again = fetch(proxied)
    static_bytes, _ = fetch(static)
    if not (html == same == static_bytes):
        raise RuntimeError("nginx and gunicorn do not serve the same guide bytes")
    log(f"guide: {len(html):,} bytes; through nginx: {again.get('X-Cache-Status')} on repeat")
    results = {"html_bytes": len(html), "connections": CONNECTIONS, "seconds": args.duration}
    targets = (
        ("static", static, ("nginx",)),
        ("proxy", proxied, ("nginx", "gunicorn")),
        ("django", direct, ("gunicorn",)),
        # A query string takes the page past the page cache: every request renders.
        ("rendered", f"{direct}?bench=render", ("gunicorn", "postgres")),
    )
    for name, url, processes in targets:
        results[name] = load(url, args.duration, args.warmup, stack.cpu_meter(*processes))
        log(
            f"guide {name}: {results[name]['rps']:,.0f} req/s, "
            f"p50 {results[name]['p50_ms']:.1f} ms, p99 {results[name]['p99_ms']:.1f} ms"
        )
    limit = results["static"]["rps"]
    results["proxy_ratio"] = round(results["proxy"]["rps"] / limit, 3)
    results["django_ratio"] = round(results["django"]["rps"] / limit, 4)
    return results


def write_static_copy(stack: Stack, site_root: Path) -> None:
    html, _ = fetch(f"http://127.0.0.1:{stack.web_port}{GUIDE}")
    target = site_root / GUIDE.strip("/") / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(html)
    for path in [site_root, *site_root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


# --- Intake and mail -------------------------------------------------------------------


def seconds_summary(samples: list[float]) -> dict:
    if not samples:
        return {"n": 0}
    ordered = sorted(samples)
    cuts = quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {
        "n": len(ordered),
        "p50_s": round(cuts[49], 3),
        "p95_s": round(cuts[94], 3),
        "max_s": round(ordered[-1], 3),
    }


def wait_for_mails(stack: Stack, sent: list[tuple[float, str]], timeout: float) -> list[float]:
    """Seconds from each submission to its mail, for those that came within `timeout`."""
    with contextlib.suppress(TimeoutError):
        wait_until(
            lambda: all(stack.sink.arrival(reference) for _, reference in sent),
            timeout,
            interval=0.02,
        )
    return [
        stack.sink.arrival(reference) - started
        for started, reference in sent
        if stack.sink.arrival(reference)
    ]


# Forms loaded for each second of the intake POST load: more than the site accepts
# on 2 cores, so that wrk never sends one twice (a form is used once).
FORMS_PER_SECOND = 200


def forms_needed(args) -> int:
    """Forms a run sends: one check, the idle probes, the probes under load (one
    every half second) and wrk's posts; and the flood's."""
    under_load = int(args.duration * 2) + 2
    posted = int(FORMS_PER_SECOND * (args.warmup + args.duration))
    needed = 1
    if "intake" in args.only:
        needed += args.probes + under_load + posted
    if "flood" in args.only:
        needed += flood_forms(args)
    return needed


def flood_forms(args) -> int:
    return int(FORMS_PER_SECOND * (FLOOD_LEAD + args.duration + FLOOD_LEAD))


def mail_idle(stack: Stack, forms: list[intake.PreparedForm], count: int) -> dict:
    """One intake at a time on an idle site: submit, wait for its mail, repeat."""
    latencies = []
    for _ in range(count):
        sent = intake.submit_probe(stack.intake_port, forms.pop())
        latencies += wait_for_mails(stack, [sent], timeout=30)
        time.sleep(0.2)
    result = seconds_summary(latencies)
    result["lost"] = count - len(latencies)
    return result


def intake_count(stack: Stack) -> dict:
    return json.loads(stack.python("bench.inprocess", "intakes").strip().splitlines()[-1])


def wrk_forms(work: Path, name: str, forms: list[intake.PreparedForm], count: int) -> tuple:
    """Write `count` of the forms for one wrk run; wrk's script arguments for them."""
    path = work / f"intake-forms-{name}.txt"
    intake.write_forms(path, [forms.pop() for _ in range(min(count, len(forms)))])
    return ("forms", str(path), intake.CONTENT_TYPE, "2")  # wrk runs 2 threads


def intake_post(
    stack: Stack, forms: list[intake.PreparedForm], work: Path, args
) -> tuple[dict, dict]:
    """wrk posts intakes at 50 connections, each form once, while a probe submits
    one every half second."""
    url = f"http://127.0.0.1:{stack.intake_port}{intake.POST_PATH}"
    probe_forms = [forms.pop() for _ in range(int(args.duration * 2) + 2)]
    warmup_args = wrk_forms(work, "warmup", forms, int(FORMS_PER_SECOND * args.warmup))
    script_args = wrk_forms(work, "load", forms, len(forms))
    wrk(url, args.warmup, *warmup_args)
    before = intake_count(stack)["total"]
    wait_until(lambda: stack.sink.count() >= before, args.drain_timeout, what="the warm-up's mails")

    probes: list[tuple[float, str]] = []
    stop = threading.Event()

    def probe():
        while not stop.wait(0.5) and probe_forms:
            probes.append(intake.submit_probe(stack.intake_port, probe_forms.pop()))

    prober = threading.Thread(target=probe, daemon=True)
    meter = stack.cpu_meter("gunicorn-intake", "postgres", "redis", "worker").start()
    prober.start()
    started = time.monotonic()
    result = wrk(url, args.duration, *script_args)
    ended = time.monotonic()
    stop.set()
    prober.join()
    after = intake_count(stack)["total"]
    result["intakes_saved"] = after - before - len(probes)

    # Every intake saved gets exactly one mail (the sink counts distinct references).
    latencies = wait_for_mails(stack, probes, timeout=args.drain_timeout)
    wait_until(lambda: stack.sink.count() >= after, args.drain_timeout, what="the queue to drain")
    drained = stack.sink.last_arrival()
    # CPU from the first post to the last mail, for each intake saved meanwhile.
    used = meter.stop()
    result["cpu_ms_per_intake"] = {
        name: round(seconds * 1000 / max(after - before, 1), 2) for name, seconds in used.items()
    }
    under_load = seconds_summary(latencies)
    under_load.update(
        {
            "lost": len(probes) - len(latencies),
            "queued_intakes": after - before,
            "queue_drained_s_after_load": round(drained - ended, 1),
            "worker_mails_per_s": round((after - before) / max(drained - started, 1e-9), 1),
        }
    )
    return result, under_load


# --- A flood of intakes, and the readers meanwhile ------------------------------------

# Seconds the flood runs before the readers are measured, and after.
FLOOD_LEAD = 2


def flood(stack: Stack, forms: list[intake.PreparedForm], work: Path, args) -> dict:
    """The guide through Django alone (gunicorn, wrk at 50 connections), idle and then
    while intakes are posted through the shipped nginx config as fast as the site
    takes them, each form once and from an address of its own; then every intake
    counted: posted, acknowledged (the redirect to the confirmation), saved, mailed."""
    direct = f"http://127.0.0.1:{stack.web_port}{GUIDE}"
    post_url = f"http://127.0.0.1:{stack.proxy_port}{intake.POST_PATH}"
    result: dict = {"readers_idle": load(direct, args.duration, args.warmup)}
    log(f"flood: readers idle {result['readers_idle']['rps']:,.0f} req/s")
    saved_before = intake_count(stack)["total"]
    wait_until(lambda: stack.sink.count() >= saved_before, args.drain_timeout, what="mails")
    mails_before = stack.sink.count()
    script_args = (*wrk_forms(work, "flood", forms, flood_forms(args)), "xff")
    posts: dict = {}

    def post() -> None:
        seconds = FLOOD_LEAD + args.duration + FLOOD_LEAD
        posts.update(wrk(post_url, seconds, *script_args))

    poster = threading.Thread(target=post)
    meter = stack.cpu_meter(*stack.web_groups(), "worker", "postgres").start()
    poster.start()
    time.sleep(FLOOD_LEAD)
    result["readers_flood"] = wrk(direct, args.duration)
    poster.join()
    used = meter.stop()
    result["posts"] = posts
    result["cpu_s"] = {name: round(seconds, 2) for name, seconds in used.items()}
    saved = lambda: intake_count(stack)["total"] - saved_before  # noqa: E731
    with contextlib.suppress(TimeoutError):
        wait_until(
            lambda: stack.sink.count() - mails_before >= saved(),
            args.drain_timeout,
            what="the flood's mails",
        )
    counts = {
        "posted": posts["requests"],
        "acknowledged": posts["accepted"],
        "saved": saved(),
        "mailed": stack.sink.count() - mails_before,
    }
    # Lost: acknowledged to the visitor but not saved, or saved and never mailed.
    counts["lost"] = max(counts["acknowledged"] - counts["saved"], 0) + max(
        counts["saved"] - counts["mailed"], 0
    )
    result["counts"] = counts
    result["reader_ratio"] = round(
        result["readers_flood"]["rps"] / max(result["readers_idle"]["rps"], 1e-9), 3
    )
    log(
        f"flood: readers {result['readers_flood']['rps']:,.0f} req/s "
        f"(p99 {result['readers_flood']['p99_ms']:.1f} ms) under {posts['rps']:,.0f} posts/s; "
        f"{counts}"
    )
    return result


# --- The run ----------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("cardinal_bench"):
        raise SystemExit("the bench database's name must start with cardinal_bench")
    options = [
        "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
        "-U", parts.username or "postgres",
    ]  # fmt: skip
    subprocess.run(["dropdb", *options, "--if-exists", "--force", name], check=True)
    subprocess.run(["createdb", *options, name], check=True)


def check_tools(args) -> None:
    loads = {"guide", "intake", "flood"} & set(args.only)  # the parts wrk drives
    tools = ("redis-server", "createdb", *(("wrk",) if loads else ()))
    missing = [tool for tool in tools if not shutil.which(tool)]
    if not Path(os.environ.get("BENCH_NGINX", "/usr/sbin/nginx")).exists():
        missing.append("nginx")
    if missing:
        raise SystemExit(f"missing: {', '.join(missing)} (make bench installs them)")


def run(args) -> dict:
    check_tools(args)
    begun = time.monotonic()
    load_before = os.getloadavg()
    database = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    work = Path(tempfile.mkdtemp(prefix="cardinal-bench-"))
    site_root = work / "site"
    results: dict = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": [round(value, 2) for value in load_before],
        },
        "targets": TARGETS,
    }
    log(f"work directory {work}; database {urlsplit(database).path.lstrip('/')}")
    recreate_database(database)
    stack = Stack(work, database)
    try:
        stack.start_redis()
        stack.start_smtp()
        log("migrate, collectstatic, load_guides")
        stack.manage("migrate", "--noinput", "-v0")
        stack.manage("collectstatic", "--noinput", "-v0")
        stack.manage("load_guides", "-v0")
        stack.python("bench.inprocess", "setup")
        stack.start_web()
        stack.start_intake_web()
        stack.start_worker()
        write_static_copy(stack, site_root)
        stack.start_nginx(site_root)
        results["commands"] = stack.describe_commands()
        if "nginx" in args.only:
            log("the shipped nginx config, checked with the real nginx")
            results["nginx_checks"] = nginx_check.run(stack)
            for item in results["nginx_checks"]:
                log(f"  {'ok    ' if item['ok'] else 'FAILED'} {item['check']} {item['detail']}")
        if {"intake", "flood"} & set(args.only):
            # Loaded now: their fill-time tokens age past the minimum during the guide runs.
            log("loading the intake form for every submission of the run")
            forms = intake.prepare_many(stack.intake_port, forms_needed(args))
            forms_ready = time.monotonic() + intake.MIN_FILL_SECONDS + 1

        if "render" in args.only:
            # First, on a machine that has not just been loaded: a timing of one process.
            log("guide rendered in process")
            output = stack.python("bench.inprocess", "render")
            results["render"] = json.loads(output.splitlines()[-1])

        if "guide" in args.only:
            log("guide under load")
            results["guide"] = guide(stack, site_root, args)

        if "weight" in args.only:
            log("page weight")
            url = f"http://127.0.0.1:{stack.proxy_port}{GUIDE}"
            results["page_weight"] = pageweight.measure(url)

        if {"intake", "flood"} & set(args.only):
            # Run alone, the last forms loaded may not have aged past the minimum fill time.
            time.sleep(max(0.0, forms_ready - time.monotonic()))
            intake.check_accepted(stack.intake_port, forms.pop())
        if "flood" in args.only:
            log("a flood of intakes through nginx, and the guide through Django meanwhile")
            flood_forms_list = [forms.pop() for _ in range(min(flood_forms(args), len(forms)))]
            results["flood"] = flood(stack, flood_forms_list, work, args)
        if "intake" in args.only:
            log("mail latency, idle")
            results["mail_idle"] = mail_idle(stack, forms, args.probes)
            log("intake POST under load, and mail latency under that load")
            results["intake_post"], results["mail_under_load"] = intake_post(
                stack, forms, work, args
            )

        if args.sizes and "admin" in args.only:
            log(f"admin pages at {', '.join(f'{size:,}' for size in args.sizes)} intakes")
            sizes = ",".join(str(size) for size in args.sizes)
            output = stack.python("bench.inprocess", "admin", "--sizes", sizes, "--fresh")
            results["admin"] = json.loads(output.splitlines()[-1])
    finally:
        stack.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    results["machine"]["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
    results["duration_s"] = round(time.monotonic() - begun)
    return results


# --- The table --------------------------------------------------------------------------


def rows(results: dict) -> list[tuple[str, str, str, str]]:
    """(measure, result, target, met) for every figure of the issue."""
    t = TARGETS
    out: list[tuple[str, str, str, str]] = []

    def add(measure: str, result: str, target: str = "", met: bool | None = None) -> None:
        out.append((measure, result, target, "" if met is None else ("met" if met else "MISSED")))

    def timing(run: dict) -> str:
        errors = sum(run["errors"].values())
        text = f"{run['rps']:,.0f} req/s, p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms"
        return text + (f", {errors} errors" if errors else "")

    if c := results.get("nginx_checks"):
        failed = [item["check"] for item in c if not item["ok"]]
        add(
            "Shipped nginx config under the real nginx (TLS): checks",
            f"{len(c) - len(failed)} of {len(c)} passed"
            + "".join(f"; FAILED: {f}" for f in failed),
            "all pass",
            not failed,
        )
    if g := results.get("guide"):
        kb = g["html_bytes"] / 1024
        add(f"Guide (baclofen, {kb:.0f} KB of HTML), wrk, {g['connections']} connections", "")
        add("  (c) nginx serving the same bytes as a file", timing(g["static"]))
        add("  (b) shipped nginx config -> gunicorn", timing(g["proxy"]))
        add("  (a) gunicorn + Django alone", timing(g["django"]))
        cpu = g["django"].get("cpu_ms_per_request", {}).get("gunicorn")
        if cpu:
            add("  (a) gunicorn CPU per request", f"{cpu * 1000:.0f} us")
        if rendered := g.get("rendered"):
            add("  (a) with every request rendered (page cache bypassed)", timing(rendered))
        ratio = g["proxy_ratio"]
        add("  (b)/(c)", f"{ratio:.2f}", f">= {t['proxy_ratio']:.2f}", ratio >= t["proxy_ratio"])
        ratio = g["django_ratio"]
        add("  (a)/(c)", f"{ratio:.3f} (1/{1 / ratio:.1f})", ">= 1/20", ratio >= t["django_ratio"])
        p99 = g["django"]["p99_ms"]
        add("  (a) p99", f"{p99:.1f} ms", f"<= {t['django_p99_ms']} ms", p99 <= t["django_p99_ms"])
    if r := results.get("render"):
        pages = [("", r, "render_p50_ms")]
        if spanish := r.get("spanish"):
            pages.append((", Spanish", spanish, "render_spanish_p50_ms"))
        for title, page, target in pages:
            view, stack = page["view"], page["full_stack_without_page_cache"]
            add(
                f"Cold render in process{title} (view, no page cache)",
                f"p50 {view['p50_ms']:.2f} ms, p99 {view['p99_ms']:.2f} ms",
                f"p50 <= {t[target]} ms",
                view["p50_ms"] <= t[target],
            )
            same = len(set(page["queries_by_guide"].values())) == 1
            detail = " (the same for every guide)" if same else f" {page['queries_by_guide']}"
            add("  queries per render", f"{page['queries']}{detail}", "constant", same)
            add(
                "  p50 of its parts",
                ", ".join(f"{name} {value:.2f} ms" for name, value in page["parts_p50_ms"].items()),
            )
            add(
                "  whole middleware stack, no page cache",
                f"p50 {stack['p50_ms']:.2f} ms, p99 {stack['p99_ms']:.2f} ms",
            )
        if heavy := r.get("heading_heavy_ms"):
            add(
                "Render of a 64 KB heading-heavy body (on save)",
                ", ".join(f"'{name}' x 16,000 {value:.0f} ms" for name, value in heavy.items()),
                f"< {t['heading_heavy_ms']} ms",
                max(heavy.values()) < t["heading_heavy_ms"],
            )
    if p := results.get("intake_post"):
        add(
            f"Intake POST, {CONNECTIONS} connections",
            f"{timing(p)} ({p['intakes_saved']:,} intakes saved"
            + (f"; {p['forms_reused']:,} forms sent twice)" if p.get("forms_reused") else ")"),
            f">= {t['post_rps']} req/s, p99 <= {t['post_p99_ms']} ms",
            p["rps"] >= t["post_rps"] and p["p99_ms"] <= t["post_p99_ms"],
        )
        cpu = p["cpu_ms_per_intake"]
        total = sum(cpu.values())
        web = total - cpu["worker"]
        cores = results["machine"]["cpus"]
        add(
            "  CPU per intake, post to mail sent (ms)",
            " + ".join(f"{name} {ms:.1f}" for name, ms in cpu.items()) + f" = {total:.1f}",
        )
        for name, process, limit in (
            ("web", cpu.get("gunicorn-intake", cpu.get("gunicorn", 0.0)), t["web_cpu_ms"]),
            ("worker", cpu["worker"], t["worker_cpu_ms"]),
        ):
            add(f"  {name} CPU per intake", f"{process:.1f} ms", f"<= {limit} ms", process <= limit)
        add(
            f"  so at most, on {cores} cores",
            f"{cores * 1000 / total:,.0f}/s with the mails, "
            f"{cores * 1000 / web:,.0f}/s without the worker",
        )
    if f := results.get("flood"):
        idle, busy, posts, counts = f["readers_idle"], f["readers_flood"], f["posts"], f["counts"]
        add(
            f"Flood: intakes posted through nginx, {CONNECTIONS} connections, an address each",
            f"{timing(posts)}; {posts['accepted']:,} acknowledged",
        )
        add("  guide through Django alone, idle", timing(idle))
        add("  guide through Django alone, during the flood", timing(busy))
        ratio = f["reader_ratio"]
        add(
            "  its throughput, flood / idle",
            f"{ratio:.2f}",
            f">= {t['flood_reader_ratio']}",
            ratio >= t["flood_reader_ratio"],
        )
        add(
            "  its p99 during the flood",
            f"{busy['p99_ms']:.1f} ms",
            f"< {t['flood_reader_p99_ms']} ms",
            busy["p99_ms"] < t["flood_reader_p99_ms"],
        )
        add(
            "  intakes posted, acknowledged, saved, mailed; lost",
            f"{counts['posted']:,}, {counts['acknowledged']:,}, {counts['saved']:,}, "
            f"{counts['mailed']:,}; {counts['lost']} lost",
            "0 lost",
            counts["lost"] == 0,
        )
    if (m := results.get("mail_idle")) and m.get("n"):
        add(
            f"Submit to navigator mail, idle (n={m['n']})",
            f"p50 {m['p50_s']:.2f} s, p95 {m['p95_s']:.2f} s",
            f"p95 <= {t['mail_idle_p95_s']} s",
            m["p95_s"] <= t["mail_idle_p95_s"],
        )
    if (u := results.get("mail_under_load")) and u.get("n"):
        add(
            f"Submit to navigator mail, under the POST load (n={u['n']})",
            f"p50 {u['p50_s']:.1f} s, p95 {u['p95_s']:.1f} s; {u['queued_intakes']:,} mails "
            f"queued, the last {u['queue_drained_s_after_load']:.0f} s after the load "
            f"({u['worker_mails_per_s']:.0f} mails/s)",
        )
    if a := results.get("admin"):
        largest = a["sizes"][-1]
        for name in ("intake list", "intake page", "overview", "overview: 90 days"):
            cells = ", ".join(
                f"{size['intakes']:,}: {size['pages'][name]['p95_ms']:.0f} ms "
                f"{size['pages'][name]['queries']} q"
                for size in a["sizes"]
            )
            p95 = largest["pages"][name]["p95_ms"]
            reached = largest["intakes"] >= 100_000
            target = f"p95 <= {t['admin_p95_ms']} ms at 100,000"
            add(
                f"Admin {name}: p95 and queries, by intakes",
                cells,
                target if reached else f"{target} (not run)",
                reached and p95 <= t["admin_p95_ms"],
            )
    if w := results.get("page_weight"):
        archive = w["http_archive"]
        add(
            "Guide page weight, compressed, as received",
            f"{w['total_kb']:.1f} KB in {w['requests']} responses",
            f"<= {t['page_kb']} KB",
            w["total_kb"] <= t["page_kb"],
        )
        add(
            "  HTTP Archive median mobile page (2025)",
            f"{archive['median_mobile_page_kb']:,} KB "
            f"(inner pages: {archive['median_mobile_inner_page_kb']:,} KB)",
        )
    return out


def table(results: dict) -> str:
    lines = rows(results)
    widths = [max(len(row[i]) for row in lines) for i in range(4)]
    headers = ("Measure", "Result", "Target", "")
    widths = [max(width, len(header)) for width, header in zip(widths, headers, strict=True)]
    rule = "-+-".join("-" * width for width in widths)
    format_row = lambda row: " | ".join(  # noqa: E731
        cell.ljust(width) for cell, width in zip(row, widths, strict=True)
    ).rstrip()
    machine = results["machine"]
    head = (
        f"Cardinal Recovery benchmark, {results['started_at']}, {machine['cpus']} CPUs, "
        f"load average {machine['load_average_before'][0]} before and "
        f"{machine.get('load_average_after', ['?'])[0]} after; {results.get('duration_s')} s"
    )
    return "\n".join([head, format_row(headers), rule, *map(format_row, lines)])


# The parts of a run, in the order they run (--only).
PARTS = ("nginx", "render", "guide", "weight", "intake", "flood", "admin")


def parts(text: str) -> tuple[str, ...]:
    chosen = {part.strip() for part in text.split(",") if part.strip()}
    if unknown := chosen - set(PARTS):
        raise argparse.ArgumentTypeError(
            f"no part {', '.join(sorted(unknown))}: choose from {', '.join(PARTS)}"
        )
    return tuple(part for part in PARTS if part in chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per target")
    parser.add_argument("--probes", type=int, default=20, help="intakes timed on an idle site")
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(size) for size in text.split(",") if size],
        default=[1_000, 10_000, 100_000],
        help="intakes in the database for the admin pages (empty: skip)",
    )
    parser.add_argument("--drain-timeout", type=float, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    parser.add_argument("--quick", action="store_true", help="short runs, admin up to 10,000")
    parser.add_argument(
        "--only",
        type=parts,
        default=PARTS,
        help=f"comma-separated parts to run, of {','.join(PARTS)} (a partial run is written "
        "to its own file, never to latest.json)",
    )
    args = parser.parse_args()
    if args.quick:
        args.duration, args.warmup, args.probes = 3, 1, 5
        args.sizes = [size for size in args.sizes if size <= 10_000]
    results = run(args)
    RESULTS.mkdir(exist_ok=True)
    stamp = results["started_at"].replace(":", "").replace("-", "")[:15]
    text = json.dumps(results, indent=2)
    if args.only != PARTS:
        name = f"{stamp}-{'-'.join(args.only)}.json"
        (RESULTS / name).write_text(text + "\n")
        print(table(results))
        print(f"\nWritten to {RESULTS.relative_to(ROOT)}/{name}")
        return
    (RESULTS / f"{stamp}.json").write_text(text + "\n")
    (RESULTS / "latest.json").write_text(text + "\n")
    print(table(results))
    print(f"\nWritten to {RESULTS.relative_to(ROOT)}/{stamp}.json and latest.json")


if __name__ == "__main__":
    main()
