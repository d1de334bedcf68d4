"""The shipped nginx example (deploy/nginx/cardinal.conf and cardinal-proxy.conf)
rendered for a run on loopback, and the real nginx started on it: for the tests
of that config (tests/integration/test_nginx.py) and the benchmark (bench/).

Only what is machine-specific is replaced: ports, the certificate (a self-signed
one made here), the cache, log and static paths, the upstream's port and where
the proxy rules are included from; a test may replace more lines of its own
(`changes`). The http block around the site copies the defaults of Debian's
/etc/nginx/nginx.conf (which still allows TLS 1.0 and 1.1).
"""

import datetime
import os
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.harness import ARTIFACTS, ROOT, ManagedProcess, free_port, port_open, wait_until

NGINX = os.environ.get("BENCH_NGINX", "/usr/sbin/nginx")
SITE_CONF = ROOT / "deploy" / "nginx" / "cardinal.conf"
PROXY_RULES = ROOT / "deploy" / "nginx" / "cardinal-proxy.conf"

# nginx's main context and http block; {site} is the rendered cardinal.conf and
# {extra} any test-only http directives.
HTTP_BLOCK = """\
{user}worker_processes {workers};
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
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    gzip on;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{extra}
{site}
}}
"""


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files in `folder`.

    RSA, not ECDSA: with an RSA key a client can also offer the ciphers without
    forward secrecy (RSA key exchange), so the shipped cipher list is what
    refuses them."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
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
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _replace(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        if old not in text:
            raise RuntimeError(f"{SITE_CONF.relative_to(ROOT)} no longer contains {old!r}")
        text = text.replace(old, new)
    return text


def _http_part_replacements(
    prefix: Path, upstream_port: int, intake_port: int | None = None
) -> dict[str, str]:
    """The cache path and the two upstreams' ports (the intake pool's: the web
    one's unless given)."""
    return {
        "/var/cache/nginx/cardinal": str(prefix / "cache"),
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream_port};",
        "server 127.0.0.1:8001;": f"server 127.0.0.1:{intake_port or upstream_port};",
    }


def site_http_directives(prefix: Path, upstream_port: int, intake_port: int | None = None) -> str:
    """The http-level part of cardinal.conf (cache and rate-limit zones, maps, log
    format, upstreams) with this run's paths: what the proxy rules need around them."""
    text = SITE_CONF.read_text()
    head, found, _ = text.partition("\nserver {")
    if not found:
        raise RuntimeError(f"{SITE_CONF.relative_to(ROOT)} has no server block")
    return _replace(head, _http_part_replacements(prefix, upstream_port, intake_port))


def site_conf(
    prefix: Path,
    *,
    upstream_port: int,
    static_root: Path,
    http_port: int,
    https_port: int,
    changes: dict[str, str] | None = None,
    intake_port: int | None = None,
) -> str:
    """cardinal.conf with this run's paths and ports, on 127.0.0.1 only, and the
    test's own `changes` (each shipped text, which must be there, and its stand-in)."""
    cert, key = self_signed_certificate(prefix)
    replacements = {
        **_http_part_replacements(prefix, upstream_port, intake_port),
        "    listen [::]:80;\n": "",
        "    listen [::]:443 ssl http2;\n": "",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "/etc/letsencrypt/live/www.example.org/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/www.example.org/privkey.pem": str(key),
        "/var/log/nginx/cardinal.access.log": str(prefix / "access.log"),
        "/srv/cardinal/staticfiles/": f"{static_root}/",
        "/etc/nginx/snippets/cardinal-proxy.conf": str(PROXY_RULES),
        **(changes or {}),
    }
    return _replace(SITE_CONF.read_text(), replacements)


def nginx_conf(prefix: Path, site: str, extra: str = "", workers: str = "auto") -> str:
    """A whole nginx.conf: Debian's defaults around `site`."""
    # Started as root, nginx would run its workers as nobody, who cannot read a
    # test's temporary folders (mode 700): the workers run as the caller.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return HTTP_BLOCK.format(user=user, workers=workers, prefix=prefix, site=site, extra=extra)


class NginxServer(ManagedProcess):
    """The real nginx on a config written to <prefix>/nginx.conf, checked with
    `nginx -t` first; ready once `port` accepts connections."""

    def __init__(
        self,
        prefix: Path,
        conf: str,
        port: int,
        env: dict[str, str] | None = None,
        name: str = "nginx",
        logs: Path = ARTIFACTS,
    ):
        self.prefix = prefix
        self.port = port
        self.conf_path = prefix / "nginx.conf"
        self.conf_path.write_text(conf)
        command = [NGINX, "-p", str(prefix), "-c", str(self.conf_path)]
        super().__init__(name, command, env if env is not None else dict(os.environ), logs)

    def test_config(self) -> subprocess.CompletedProcess:
        """`nginx -t` on the config: returncode 0 when nginx accepts it."""
        return subprocess.run(
            [*self.command, "-t", "-q"], capture_output=True, text=True, check=False
        )

    def start(self) -> "NginxServer":
        result = self.test_config()
        if result.returncode != 0:
            raise RuntimeError(f"nginx -t refused {self.conf_path}: {result.stderr}")
        super().start()

        def listening():
            self.check()
            return port_open(self.port)

        wait_until(listening, 15, what=f"nginx on port {self.port}")
        return self


def shipped_site(
    prefix: Path,
    *,
    upstream_port: int,
    static_root: Path,
    extra: str = "",
    env: dict[str, str] | None = None,
    name: str = "nginx-site",
    logs: Path = ARTIFACTS,
    changes: dict[str, str] | None = None,
    intake_port: int | None = None,
) -> tuple[NginxServer, int, int]:
    """nginx on the shipped site config (not started), and its HTTP and HTTPS ports;
    the intake pool's upstream on `intake_port` (the web one's unless given)."""
    prefix.mkdir(parents=True, exist_ok=True)
    http_port, https_port = free_port(), free_port()
    site = site_conf(
        prefix,
        upstream_port=upstream_port,
        static_root=static_root,
        http_port=http_port,
        https_port=https_port,
        changes=changes,
        intake_port=intake_port,
    )
    server = NginxServer(prefix, nginx_conf(prefix, site, extra), https_port, env, name, logs)
    return server, http_port, https_port
