"""The address of the person making a request, as the site's own proxies report it.

Behind the TLS-terminating proxy (deploy/nginx), REMOTE_ADDR is the proxy's
address for everyone, and the proxy appends the address it saw to
X-Forwarded-For. Only a request that comes from one of settings.TRUSTED_PROXIES
is asked whom it came from: X-Forwarded-For is read from the right, skipping each
entry that is itself a trusted proxy, and the first other entry is the client.
Entries further left were written by the client and are never read; from any
other peer the header is ignored and the peer is the client.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def _address(text: str) -> IPAddress | None:
    """The address in `text`; an IPv4-mapped IPv6 address (::ffff:192.0.2.1, what a
    dual-stack socket reports for an IPv4 peer) as the IPv4 address it maps."""
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


def _trusted(ip: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address; an IPv6 address as its /64 network (one subscriber's
    usual allocation). None when no valid address can be found."""
    ip = _address(request.META.get("REMOTE_ADDR", ""))
    if ip is None:
        return None
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if _trusted(ip, networks):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        for entry in reversed([part for part in forwarded if part.strip()]):
            ip = _address(entry)
            if ip is None:
                return None  # a proxy of ours reported something that is no address
            if not _trusted(ip, networks):
                break
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)
