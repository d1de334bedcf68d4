"""The shipped nginx example (deploy/nginx/cardinal.conf with cardinal-proxy.conf),
run by the real nginx in front of the bench's gunicorn, over TLS, and checked:
the micro-cache serves anonymous guide GETs and nothing else, headers pass
through, HTML and static files are compressed, static files are cached once.

The config is rendered and nginx started by tests/integration/nginx.py (as for
tests/integration/test_nginx.py): only paths, ports and the certificate (a
self-signed one) are replaced; the http block copies Debian's nginx.conf.
"""

import gzip
import http.client
import ssl
import time

from tests.integration.nginx import shipped_site

GUIDE = "/medications/baclofen/"


def _get(port: int, path: str, *, method="GET", headers=None, body=None, tls=True):
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        started = time.perf_counter()
        connection.request(
            method, path, body=body, headers={"Host": "127.0.0.1", **(headers or {})}
        )
        response = connection.getresponse()
        content = response.read()
        return response, content, time.perf_counter() - started
    finally:
        connection.close()


def checks(stack, https: int, http_port: int) -> list[dict]:
    results = []

    def check(name: str, ok: bool, detail: str = "") -> None:
        results.append({"check": name, "ok": bool(ok), "detail": detail})

    first, html, _ = _get(https, GUIDE)
    second, again, _ = _get(https, GUIDE)
    check(
        "anonymous guide GET is cached (MISS, then HIT)",
        first.status == 200
        and first.getheader("X-Cache-Status") in {"MISS", "EXPIRED"}
        and second.getheader("X-Cache-Status") == "HIT"
        and again == html,
        f"{first.getheader('X-Cache-Status')}, then {second.getheader('X-Cache-Status')}",
    )
    campaign, body, _ = _get(https, GUIDE + "?utm_source=newsletter")
    check(
        "a campaign query string is served from the same cache entry",
        campaign.getheader("X-Cache-Status") in {"HIT", "STALE", "UPDATING"} and body == html,
        str(campaign.getheader("X-Cache-Status")),
    )
    wanted = ["Content-Security-Policy", "Strict-Transport-Security", "ETag", "Cache-Control"]
    missing = [name for name in wanted if not second.getheader(name)]
    check("a cached page keeps the site's headers (CSP, HSTS, ETag)", not missing, str(missing))
    cached = {"HIT", "STALE", "UPDATING"}
    response, _, _ = _get(https, GUIDE, headers={"Cookie": "sessionid=made-up"})
    check(
        "a session cookie alone gets the cached page",
        response.getheader("X-Cache-Status") in cached,
        str(response.getheader("X-Cache-Status")),
    )
    response, _, _ = _get(https, GUIDE + "?preview=1")
    check(
        "?preview gets the cached page",
        response.getheader("X-Cache-Status") in cached,
        str(response.getheader("X-Cache-Status")),
    )
    response, _, _ = _get(https, GUIDE, headers={"Cookie": "sessionid=s; staff=forged"})
    check(
        "the staff marker cookie bypasses the cache",
        response.getheader("X-Cache-Status") == "BYPASS" and response.status == 200,
        f"status {response.status}, cache {response.getheader('X-Cache-Status')}",
    )
    locations = [
        _get(https, GUIDE.rstrip("/") + f"?mc_eid={who}")[0].getheader("Location")
        for who in ("alice", "bob")
    ]
    check(
        "the slash redirect is never cached (each keeps its own query string)",
        [
            location.endswith(f"?mc_eid={who}")
            for location, who in zip(locations, ("alice", "bob"), strict=True)
        ]
        == [True, True],
        str(locations),
    )
    response, _, _ = _get(https, "/admissions/", method="POST", body=b"x=1")
    check(
        "a POST is never cached",
        response.getheader("X-Cache-Status") is None and response.status == 403,
        f"status {response.status} (no CSRF token), cache {response.getheader('X-Cache-Status')}",
    )
    response, _, _ = _get(https, "/admin/login/")
    check(
        "admin is never cached",
        response.getheader("X-Cache-Status") is None and response.status == 200,
        f"status {response.status}",
    )
    response, body, _ = _get(https, GUIDE, headers={"Accept-Encoding": "gzip"})
    check(
        "guide HTML is sent gzip-compressed",
        response.getheader("Content-Encoding") == "gzip" and gzip.decompress(body) == html,
        f"{len(body):,} bytes for {len(html):,}",
    )
    stylesheet = next(
        part.split('"')[0]
        for part in html.decode().split('href="')[1:]
        if part.split('"')[0].endswith(".css") and "/static/css/site." in part
    )
    response, body, _ = _get(https, stylesheet, headers={"Accept-Encoding": "gzip"})
    cache_control = response.headers.get_all("Cache-Control") or []
    check(
        "static files: precompressed, one Cache-Control, immutable, nosniff",
        response.status == 200
        and response.getheader("Content-Encoding") == "gzip"
        and len(cache_control) == 1
        and "immutable" in cache_control[0]
        and response.getheader("X-Content-Type-Options") == "nosniff",
        f"Cache-Control {cache_control}",
    )
    response, _, _ = _get(http_port, GUIDE, tls=False)
    check(
        "plain HTTP is redirected to HTTPS",
        response.status == 301 and response.getheader("Location", "").startswith("https://"),
        f"{response.status} {response.getheader('Location')}",
    )
    times = sorted(_get(https, GUIDE)[2] for _ in range(20))
    check(
        "a cached guide answers without a stall (median of 20 requests < 20 ms)",
        times[10] < 0.020,
        f"median {times[10] * 1000:.1f} ms",
    )
    return results


def run(stack) -> list[dict]:
    nginx, http_port, https_port = shipped_site(
        stack.work / "nginx-site-check",
        upstream_port=stack.web_port,
        static_root=stack.static_root,
        env=stack.env,
        name="nginx-site-check",
        logs=stack.logs,
    )
    nginx.prefix.chmod(0o755)
    test = nginx.test_config()
    if test.returncode != 0:
        return [
            {"check": "nginx -t accepts the shipped config", "ok": False, "detail": test.stderr}
        ]
    nginx.start()
    try:
        return [{"check": "nginx -t accepts the shipped config", "ok": True, "detail": ""}] + (
            checks(stack, https_port, http_port)
        )
    finally:
        nginx.stop()
