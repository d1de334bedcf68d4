"""The shipped nginx example (deploy/nginx/), run by the real nginx over TLS in front
of a stand-in upstream that counts what reaches it: the micro-cache stores 200s
only, a session cookie does not get past it while the staff marker does (and is
rate limited), /readyz answers the load balancer's address only, client
addresses are logged cut to their network, static files carry nosniff and HSTS,
compressed answers say "Vary: Accept-Encoding", TLS below 1.2 is refused and so
is a cipher without forward secrecy.
"""

import gzip
import http.client
import http.server
import json
import shutil
import socket
import ssl
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.harness import free_port, wait_until
from tests.integration.nginx import NGINX, SITE_CONF, shipped_site

GUIDE = "/medications/naltrexone/"

# Test scaffolding, not part of the shipped config: lets a test give nginx the
# client address to log (realip), so IPv6 and other addresses reach the map.
# Without the header the connection's own address counts.
TEST_HTTP = """\
    set_real_ip_from 127.0.0.0/8;
    real_ip_header X-Test-Client-Address;
"""

# The shipped cipher list allows no cipher older than TLS 1.2, and OpenSSL 3's
# default security level refuses TLS 1.1 as well. To prove that the shipped
# ssl_protocols refuses it by itself, a second nginx runs the site with every
# cipher OpenSSL has, at the security level that still allows TLS 1.1.
SHIPPED_CIPHERS = next(
    line.strip()
    for line in SITE_CONF.read_text().splitlines()
    if line.strip().startswith("ssl_ciphers ")
)
ALL_CIPHERS = {SHIPPED_CIPHERS: "ssl_ciphers ALL:@SECLEVEL=0;"}

# Key exchange by the server's RSA key: whoever later gets the key reads a
# recording of the session. The second is also CBC rather than AEAD.
NOT_FORWARD_SECRET = ("AES128-GCM-SHA256", "AES256-SHA256", "AES128-SHA")


class Upstream(http.server.ThreadingHTTPServer):
    """Stands in for gunicorn: a guide (200), the slash redirect (301), a missing
    guide (404), /readyz and the intake form; counts the requests per path."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", free_port()), UpstreamHandler)
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def count(self, path: str) -> int:
        with self.lock:
            return self.hits[path]


class UpstreamHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # nginx keeps upstream connections alive

    def do_GET(self):  # noqa: N802 - http.server's hook name
        path, _, query = self.path.partition("?")
        with self.server.lock:
            self.server.hits[path] += 1
            hit = self.server.hits[path]
        if path == GUIDE.rstrip("/"):
            self._send(301, b"", {"Location": f"{GUIDE}?{query}" if query else GUIDE})
        elif path == GUIDE:
            self._send(200, f"guide, render {hit}".encode(), {"Content-Type": "text/html"})
        elif path == "/readyz":
            self._send(200, json.dumps({"status": "ok"}).encode(), {})
        elif path == "/admissions/":
            self._send(200, b"the intake form", {"Content-Type": "text/html"})
        else:
            self._send(404, b"not found", {"Content-Type": "text/html"})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Site:
    def __init__(self, nginx, upstream: Upstream, http_port: int, https_port: int):
        self.nginx = nginx
        self.upstream = upstream
        self.http_port = http_port
        self.https_port = https_port
        self.access_log = nginx.prefix / "access.log"

    def get(self, path: str, headers: dict | None = None, source: str = "127.0.0.1"):
        """(status, headers, body) of a GET over TLS from the address `source`."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(
            "127.0.0.1",
            self.https_port,
            timeout=10,
            context=context,
            source_address=(source, 0),
        )
        try:
            connection.request("GET", path, headers={"Host": "www.example.org", **(headers or {})})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def handshake(self, version: ssl.TLSVersion, ciphers: str = "ALL") -> tuple[str, str]:
        return handshake(self.https_port, version, ciphers)

    def log_lines(self) -> list[str]:
        return self.access_log.read_text().splitlines() if self.access_log.exists() else []


def handshake(port: int, version: ssl.TLSVersion, ciphers: str = "ALL") -> tuple[str, str]:
    """The protocol and cipher a TLS handshake at exactly `version`, offering only
    `ciphers` (an OpenSSL cipher list for TLS 1.2 and older), agrees on."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # The client's own security level allows everything: what is refused, the
    # server refused.
    context.set_ciphers(f"{ciphers}:@SECLEVEL=0")
    context.minimum_version = context.maximum_version = version
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    with raw, context.wrap_socket(raw) as tls:
        cipher = tls.cipher()
        assert cipher is not None
        return str(tls.version()), cipher[0]


def _require_nginx() -> None:
    if not Path(NGINX).exists():
        pytest.fail(f"{NGINX} is missing: `make browser-deps` installs Debian's nginx-light")


# Larger than gzip_min_length (1024 bytes), so that nginx compresses it.
STYLESHEET = "".join(f".rule-{n} {{ color: #222; margin: {n}px; }}\n" for n in range(100))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    _require_nginx()
    work = tmp_path_factory.mktemp("nginx")
    static_root = work / "staticfiles"
    (static_root / "css").mkdir(parents=True)
    (static_root / "css" / "site.0123abcd.css").write_text("body { color: #222; }\n")
    (static_root / "css" / "large.0123abcd.css").write_text(STYLESHEET)
    upstream = Upstream()
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    nginx, http_port, https_port = shipped_site(
        work / "nginx",
        upstream_port=upstream.port,
        static_root=static_root,
        extra=TEST_HTTP,
        logs=work,
    )
    nginx.start()
    try:
        yield Site(nginx, upstream, http_port, https_port)
    finally:
        nginx.stop()
        upstream.shutdown()
        upstream.server_close()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def all_ciphers_port(tmp_path_factory):
    """The HTTPS port of a second nginx on the shipped site with ALL_CIPHERS (only
    handshakes reach it, so its upstream is a port nobody listens on)."""
    _require_nginx()
    work = tmp_path_factory.mktemp("nginx-all-ciphers")
    nginx, _, https_port = shipped_site(
        work / "nginx",
        upstream_port=free_port(),
        static_root=work,
        changes=ALL_CIPHERS,
        name="nginx-all-ciphers",
        logs=work,
    )
    nginx.start()
    try:
        yield https_port
    finally:
        nginx.stop()
        shutil.rmtree(work, ignore_errors=True)


def _rendered_again(site: Site) -> None:
    """GET the guide until a GET makes the upstream render it (the entry expired)."""
    before = site.upstream.count(GUIDE)
    wait_until(
        lambda: site.get(GUIDE) and site.upstream.count(GUIDE) > before,
        5,
        interval=0.05,
        what="the guide's cache entry to expire",
    )


def _fresh_guide(site: Site) -> None:
    """A cache entry for the guide stored just now."""
    _rendered_again(site)
    wait_until(
        lambda: site.get(GUIDE)[1]["X-Cache-Status"] == "HIT",
        5,
        interval=0.02,
        what="the guide to be stored again",
    )


def test_a_guide_is_cached_for_a_second(site):
    _fresh_guide(site)
    stored = time.monotonic()
    before = site.upstream.count(GUIDE)
    statuses = [site.get(GUIDE)[1]["X-Cache-Status"] for _ in range(5)]
    assert statuses == ["HIT"] * 5
    assert site.upstream.count(GUIDE) == before
    _rendered_again(site)
    # nginx counts lifetimes in whole seconds: "1s" ends within the next second.
    assert time.monotonic() - stored < 2.1


def test_the_slash_redirect_is_never_cached(site):
    path = GUIDE.rstrip("/")
    before = site.upstream.count(path)
    first = site.get(f"{path}?mc_eid=alice")
    second = site.get(f"{path}?mc_eid=bob")
    assert (first[0], first[1]["Location"]) == (301, f"{GUIDE}?mc_eid=alice")
    assert (second[0], second[1]["Location"]) == (301, f"{GUIDE}?mc_eid=bob")
    assert site.upstream.count(path) == before + 2


def test_a_not_found_page_is_never_cached(site):
    before = site.upstream.count("/medications/no-such-guide/")
    assert site.get("/medications/no-such-guide/")[0] == 404
    assert site.get("/medications/no-such-guide/")[0] == 404
    assert site.upstream.count("/medications/no-such-guide/") == before + 2


def test_a_session_cookie_or_a_preview_flag_gets_the_cached_page(site):
    _fresh_guide(site)
    before = site.upstream.count(GUIDE)
    for headers, path in (
        ({"Cookie": "sessionid=made-up"}, GUIDE),
        ({}, f"{GUIDE}?preview=1"),
    ):
        status, response_headers, _ = site.get(path, headers)
        assert status == 200
        assert response_headers["X-Cache-Status"] == "HIT", (headers, path)
    assert site.upstream.count(GUIDE) == before


def test_the_staff_marker_bypasses_the_cache_and_its_response_is_not_stored(site):
    _fresh_guide(site)
    _, _, cached = site.get(GUIDE)
    before = site.upstream.count(GUIDE)
    status, headers, body = site.get(GUIDE, {"Cookie": "sessionid=s; staff=1"})
    assert (status, headers["X-Cache-Status"]) == (200, "BYPASS")
    assert body != cached  # rendered for this request
    assert site.upstream.count(GUIDE) == before + 1
    assert site.get(GUIDE)[2] == cached  # visitors still get the stored page


def test_requests_with_the_staff_marker_are_rate_limited(site):
    time.sleep(1)  # let earlier tests' tokens come back
    # Sent at once, so that they reach nginx within the second however slow the
    # machine answers each (one after another, they could drip in at the rate).
    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = Counter(
            pool.map(
                lambda _: site.get(GUIDE, {"Cookie": "staff=forged"}, source="127.0.0.3")[0],
                range(40),
            )
        )
    assert statuses[429] > 0, statuses
    assert statuses[200] >= 20, statuses  # the burst passes
    # Anonymous readers, even from the same address, are not limited.
    assert site.get(GUIDE, source="127.0.0.3")[0] == 200


def test_readyz_answers_only_the_load_balancer(site):
    before = site.upstream.count("/readyz")
    assert site.get("/readyz")[0] == 200  # 127.0.0.1: the shipped config's allowed address
    status, _, _ = site.get("/readyz", source="127.0.0.2")
    assert status == 403
    assert site.upstream.count("/readyz") == before + 1


def test_the_access_log_holds_networks_not_addresses(site):
    for address in ("203.0.113.77", "2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8::1"):
        site.get("/admissions/", {"X-Test-Client-Address": address})
    site.get("/admissions/", source="127.0.0.2")
    wait_until(lambda: len(site.log_lines()) >= 4, 5, what="the access log")
    log = "\n".join(site.log_lines())
    intake_lines = [line for line in site.log_lines() if '"GET /admissions/"' in line]
    networks = [line.split(" ", 1)[0] for line in intake_lines[-4:]]
    assert networks == ["203.0.113.0", "2001:db8:85a3:8d3::", "2001:db8::", "127.0.0.0"]
    for address in ("203.0.113.77", "1319:8a2e", "2001:db8::1 ", "127.0.0.2"):
        assert address not in log


def test_static_files_are_sent_with_nosniff_and_hsts(site):
    status, headers, body = site.get("/static/css/site.0123abcd.css")
    assert status == 200 and body.startswith(b"body")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]
    # The same policy as Django's own answers with debug off (cardinal/settings.py).
    assert headers.get_all("Strict-Transport-Security") == [
        "max-age=31536000; includeSubDomains; preload"
    ]


def test_a_compressed_answer_varies_on_accept_encoding(site):
    path = "/static/css/large.0123abcd.css"
    status, headers, body = site.get(path, {"Accept-Encoding": "gzip"})
    assert (status, headers["Content-Encoding"]) == (200, "gzip")
    assert gzip.decompress(body).decode() == STYLESHEET
    assert headers["Vary"] == "Accept-Encoding"
    _, plain_headers, plain = site.get(path)
    assert plain_headers["Content-Encoding"] is None and plain.decode() == STYLESHEET


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
def test_tls_below_1_2_is_refused(site):
    assert site.handshake(ssl.TLSVersion.TLSv1_2)[0] == "TLSv1.2"
    assert site.handshake(ssl.TLSVersion.TLSv1_3)[0] == "TLSv1.3"
    for old in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        with pytest.raises(ssl.SSLError):
            site.handshake(old)


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
def test_the_shipped_protocols_alone_refuse_tls_below_1_2(all_ciphers_port):
    # With every cipher allowed, old ones included, TLS 1.0 and 1.1 would be
    # possible under Debian's http block: ssl_protocols is what refuses them.
    assert handshake(all_ciphers_port, ssl.TLSVersion.TLSv1_2)[0] == "TLSv1.2"
    for old in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        with pytest.raises(ssl.SSLError):
            handshake(all_ciphers_port, old)


def test_tls_1_2_needs_a_forward_secret_cipher(site):
    for cipher in NOT_FORWARD_SECRET:
        with pytest.raises(ssl.SSLError):
            site.handshake(ssl.TLSVersion.TLSv1_2, cipher)
    # A client offering those first and an ECDHE cipher last gets the ECDHE one.
    offered = ":".join([*NOT_FORWARD_SECRET, "ECDHE-RSA-AES128-GCM-SHA256"])
    assert site.handshake(ssl.TLSVersion.TLSv1_2, offered) == (
        "TLSv1.2",
        "ECDHE-RSA-AES128-GCM-SHA256",
    )
    # Every cipher the server agrees to, whatever the client offers, is ECDHE.
    _, agreed = site.handshake(ssl.TLSVersion.TLSv1_2)
    assert agreed.startswith("ECDHE-"), agreed


def test_plain_http_is_redirected_and_logged_without_the_address(site):
    connection = http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=10)
    try:
        connection.request("GET", "/admissions/", headers={"Host": "www.example.org"})
        response = connection.getresponse()
    finally:
        connection.close()
    assert response.status == 301
    assert response.headers["Location"] == "https://www.example.org/admissions/"
    wait_until(
        lambda: site.log_lines() and site.log_lines()[-1].startswith("127.0.0.0 "),
        5,
        what="the redirect's log line",
    )
