"""Which network addresses federation may reach, and how host names become addresses.

Outbound fetches take URLs from peers (actor ids, key ids, inboxes), so a hostile peer
can point us at our own network. Only globally routable unicast addresses are public;
everything else (loopback, private, link-local and cloud metadata, CGNAT, multicast,
reserved, unspecified) is refused unless the instance runs in federation test mode.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# (host, port) -> the host's addresses as strings. Injectable so tests can make any name
# "resolve" anywhere without DNS.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

# IPv6 forms that carry an IPv4 address the packets may end up at: check that one instead.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def parse_ip(host: str) -> IPAddress | None:
    """The address if `host` is an IP literal (IPv6 with or without brackets), else None."""
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


def is_public_address(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or _nat64_target(address)
        if embedded is not None:
            return is_public_address(embedded)
        if address.is_site_local:  # deprecated fec0::/10, which Python still calls global
            return False
    # is_global already excludes loopback, private, link-local, 100.64/10 and unspecified;
    # multicast counts as global there, and reserved ranges are excluded here explicitly.
    return address.is_global and not address.is_multicast and not address.is_reserved


async def resolve_host(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver, in its preferred order, no repeats."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _nat64_target(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address not in _NAT64:
        return None
    return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
