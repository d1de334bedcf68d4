"""The address of the person making a request, as the site's own proxies report it.

Behind the TLS-terminating proxy (deploy/nginx), REMOTE_ADDR is the proxy's
address for everyone. Each proxy of ours appends the address it saw to
X-Forwarded-For, so with settings.ADMISSIONS_PROXY_HOPS proxies in front of the
site the client's address is that many entries from the right. Entries further
left were written by the client and are never trusted.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address; an IPv6 address as its /64 network (one subscriber's
    usual allocation). None when no valid address can be found."""
    address = request.META.get("REMOTE_ADDR", "")
    hops = settings.ADMISSIONS_PROXY_HOPS
    if hops:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)
