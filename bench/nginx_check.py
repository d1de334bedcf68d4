"""The shipped nginx example (deploy/nginx/cardinal.conf with cardinal-proxy.conf),
run by the real nginx in front of the bench's gunicorn, over TLS, and checked:
the micro-cache serves anonymous guide GETs and nothing else, headers pass
through, HTML and static files are compressed, static files are cached once.

Only paths, ports and the certificate are replaced (a self-signed one made here);
the http block around the site copies the defaults of Debian's nginx.conf.
"""

import datetime
import gzip
import http.client
import ssl
import subprocess
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench.stack import NGINX, PROXY_RULES
from tests.harness import ROOT, ManagedProcess, free_port, port_open, wait_until

SITE_CONF = ROOT / "deploy" / "nginx" / "cardinal.conf"
GUIDE = "/medications/baclofen/"

HTTP_BLOCK = """\
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    # As in Debian's /etc/nginx/nginx.conf.
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    gzip on;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

{site}
}}
"""


def _certificate(prefix: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = prefix / "cert.pem", prefix / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def site_conf(prefix: Path, stack, http_port: int, https_port: int) -> str:
    """deploy/nginx/cardinal.conf with this run's paths and ports."""
    cert, key = _certificate(prefix)
    text = SITE_CONF.read_text()
    replacements = {
        "/var/cache/nginx/cardinal": str(prefix / "cache"),
        "    listen [::]:80;\n": "",
        "    listen [::]:443 ssl http2;\n": "",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "/etc/letsencrypt/live/www.example.org/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/www.example.org/privkey.pem": str(key),
        "/var/log/nginx/cardinal.access.log": str(prefix / "access.log"),
        "/srv/cardinal/staticfiles/": f"{stack.static_root}/",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{stack.web_port};",
        "/etc/nginx/snippets/cardinal-proxy.conf": str(PROXY_RULES),
    }
    for old, new in replacements.items():
        if old not in text:
            raise RuntimeError(f"deploy/nginx/cardinal.conf no longer contains {old!r}")
        text = text.replace(old, new)
    return text


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
    response, _, _ = _get(https, GUIDE, headers={"Cookie": "sessionid=staff-session"})
    check(
        "a request with a session cookie bypasses the cache",
        response.getheader("X-Cache-Status") == "BYPASS",
        str(response.getheader("X-Cache-Status")),
    )
    response, _, _ = _get(https, GUIDE + "?preview=1")
    check(
        "?preview bypasses the cache",
        response.getheader("X-Cache-Status") == "BYPASS",
        str(response.getheader("X-Cache-Status")),
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
        "static files: precompressed, one Cache-Control, immutable",
        response.status == 200
        and response.getheader("Content-Encoding") == "gzip"
        and len(cache_control) == 1
        and "immutable" in cache_control[0],
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
    prefix = stack.work / "nginx-site-check"
    prefix.mkdir(exist_ok=True)
    prefix.chmod(0o755)
    http_port, https_port = free_port(), free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(
        HTTP_BLOCK.format(prefix=prefix, site=site_conf(prefix, stack, http_port, https_port))
    )
    command = [NGINX, "-c", str(conf), "-p", str(prefix)]
    test = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True, check=False)
    if test.returncode != 0:
        return [
            {"check": "nginx -t accepts the shipped config", "ok": False, "detail": test.stderr}
        ]
    nginx = ManagedProcess("nginx-site-check", command, stack.env, stack.logs).start()
    try:
        wait_until(lambda: port_open(https_port), 15, what="nginx with the shipped config")
        return [{"check": "nginx -t accepts the shipped config", "ok": True, "detail": ""}] + (
            checks(stack, https_port, http_port)
        )
    finally:
        nginx.stop()
