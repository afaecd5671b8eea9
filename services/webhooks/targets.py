"""Where a webhook may be sent: SSRF checks at registration and again at every delivery.

A target URL must be ``https`` and every address its name resolves to must be public: never
loopback, private (RFC 1918, ULA), link-local, CGNAT (100.64/10), multicast, reserved,
unspecified or a cloud metadata address (169.254.169.254, fd00:ec2::254), including those
addresses wrapped in IPv4-mapped, NAT64 or 6to4 IPv6 forms. A name with any such address is
refused outright (an attacker controls which record a client picks).

Checking at registration is not enough: a name that resolved public then may resolve to
127.0.0.1 at delivery (DNS rebinding). ``check`` returns the addresses it approved and
``services.webhooks.sending`` connects to exactly one of them, sending the name only as the
Host header and TLS SNI, so nothing is resolved between the check and the connection.

``WebhookConfig.allow_loopback`` (tests only; refused in production by graph/settings.py)
admits loopback addresses, and plain ``http`` to them, so tests can run a local receiver.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from services.errors import ValidationFailed
from services.webhooks import config

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

MAX_URL_LENGTH = 2000
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)


class TargetRefused(ValidationFailed):
    """The URL, or an address its name resolves to now, is not an allowed webhook target."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="url")


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (A and AAAA)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


_resolver: Resolver = system_resolver


def use_resolver(resolver: Resolver | None) -> None:
    """Replace the resolver (tests inject one to stage DNS rebinding); None restores it."""
    global _resolver
    _resolver = resolver or system_resolver


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def is_public(ip: IPAddress) -> bool:
    """True only for a globally routed unicast address that is no metadata service."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None and not is_public(inner):
            return False
    if ip in _METADATA or (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT):
        return False
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_reserved
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_unspecified
    )


def _allowed(ip: IPAddress) -> bool:
    return is_public(ip) or (config.current().allow_loopback and _is_loopback(ip))


def _is_loopback(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL and the addresses approved for it (connect only to these)."""

    url: str
    scheme: str
    host: str  # the name (IDNA, lower case) or the literal address, without brackets
    port: int
    addresses: tuple[IPAddress, ...]


def _parse(url: str) -> tuple[str, str, int]:
    text = url.strip()
    if not text or len(text) > MAX_URL_LENGTH or any(ord(c) < 33 for c in text):
        raise TargetRefused(f"The URL must be 1-{MAX_URL_LENGTH} characters without spaces.")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise TargetRefused("The URL is not valid.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise TargetRefused("The URL must use https.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("The URL must not carry a user name or password.")
    if parts.fragment:
        raise TargetRefused("The URL must not carry a fragment.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused("The URL needs a host name.")
    try:
        host = host.encode("idna").decode("ascii").lower() if not _literal(host) else host
    except UnicodeError:
        raise TargetRefused("The URL's host name is not valid.") from None
    return scheme, host, port or (443 if scheme == "https" else 80)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def _addresses(host: str, port: int, resolver: Resolver | None) -> tuple[IPAddress, ...]:
    literal = _literal(host)
    if literal is not None:
        return (literal,)
    try:
        found = await (resolver or _resolver)(host, port)
    except (OSError, UnicodeError):
        found = []
    addresses = tuple(ipaddress.ip_address(a.split("%", 1)[0]) for a in found)
    if not addresses:
        raise TargetRefused("The URL's host name does not resolve.")
    return addresses


async def check(url: str, *, resolver: Resolver | None = None) -> Target:
    """The target if every address of its host is allowed now; else ``TargetRefused``."""
    scheme, host, port = _parse(url)
    addresses = await _addresses(host, port, resolver)
    if not all(_allowed(ip) for ip in addresses):
        raise TargetRefused(
            "The URL resolves to a private, loopback, link-local or reserved address."
        )
    if scheme != "https" and not all(_is_loopback(ip) for ip in addresses):
        raise TargetRefused("The URL must use https.")
    return Target(url.strip(), scheme, host, port, addresses)


__all__ = ["Resolver", "Target", "TargetRefused", "check", "is_public", "use_resolver"]
