"""The client's address, as counted by the sign-in and password-reset limits.

It is the connection's peer, unless the peer is one of the reverse proxies the installation trusts
(AQSTREAM_TRUSTED_PROXIES). Then X-Forwarded-For is read from the right: each trusted proxy appends the
address it saw, so the first hop that is not a trusted proxy is the client. Whatever the client itself
wrote into the header sits further left and is never reached. A hop that is not an IP address stops the
walk at the last address known (a trusted proxy): a header's contents never become the address unchecked."""
from __future__ import annotations

import ipaddress
from typing import Iterable

from aqstream import config

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_HOPS = 20  # trusted proxies in a row worth following; an endless chain is someone's game
MAX_LEN = 64  # as stored with a failed sign-in


def _ip(text: str) -> IPAddress | None:
    """An address from a header entry or a peer, or None. Knows `[v6]:port`, `v4:port` and quotes."""
    text = text.strip().strip('"').strip()
    if not text or len(text) > MAX_LEN:
        return None
    if text.startswith("["):  # [2001:db8::1]:443
        end = text.find("]")
        if end < 0 or text[end + 1:] and not text[end + 1:].startswith(":"):
            return None
        text = text[1:end]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped  # ::ffff:192.0.2.1 from a dual-stack socket is 192.0.2.1
    return ip


def _trusted(ip: IPAddress, networks: Iterable[Network]) -> bool:
    return any(ip in network for network in networks)


def resolve_client_ip(peer: str | None, forwarded_for: str | None = None,
                      trusted: Iterable[Network] | None = None) -> str:
    """The client's address, from the connection's peer and its X-Forwarded-For header (all of the
    request's X-Forwarded-For lines joined with commas). `trusted` defaults to the configured proxies."""
    networks = tuple(config.trusted_proxies() if trusted is None else trusted)
    client = _ip(peer or "")
    if client is None:  # not an IP address at all (a test client, a Unix socket): kept as it is
        return (peer or "").strip()[:MAX_LEN] or "unknown"
    if networks and forwarded_for:
        for hop in reversed(forwarded_for.rsplit(",", MAX_HOPS)[-MAX_HOPS:]):
            if not _trusted(client, networks):
                break
            ip = _ip(hop)
            if ip is None:
                break
            client = ip
    return str(client)
