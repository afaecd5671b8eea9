"""How many WebSockets one principal, and one client address, may hold open in this process.

Every open socket costs memory and a place in the fan-out, and a socket needs no credential
until ``connection_init``: without caps one token (or one address, unauthenticated) could open
thousands. Sockets over a cap are accepted and then closed at once with :data:`TRY_AGAIN_LATER`
(RFC 6455's 1013) and a reason naming the cap, so a client can tell it from a refused token
(4403). The address is ``scope["client"]``, which the trusted-proxy middleware has already set
to the real client behind a proxy. Counts are per process (sockets live in one process).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

TRY_AGAIN_LATER = 1013
PRINCIPAL_REASON = "Too many open sockets for this user or client."
ADDRESS_REASON = "Too many open sockets from this address."


@dataclass(slots=True)
class SocketCaps:
    per_principal: int
    per_address: int
    _principals: Counter[str] = field(default_factory=Counter)
    _addresses: Counter[str] = field(default_factory=Counter)

    def open_from(self, address: str) -> bool:
        """Counts a new socket from ``address``; False (nothing counted) when over the cap."""
        if self._addresses[address] >= self.per_address:
            return False
        self._addresses[address] += 1
        return True

    def open_count(self) -> int:
        """Sockets open in this process (the WebSocket connections gauge)."""
        return sum(self._addresses.values())

    def closed_from(self, address: str) -> None:
        self._release(self._addresses, address)

    def claim(self, principal: str) -> bool:
        """Counts a socket for a signed-in principal; False (nothing counted) when over."""
        if self._principals[principal] >= self.per_principal:
            return False
        self._principals[principal] += 1
        return True

    def release(self, principal: str) -> None:
        self._release(self._principals, principal)

    @staticmethod
    def _release(counts: Counter[str], key: str) -> None:
        counts[key] -= 1
        if counts[key] <= 0:
            del counts[key]  # no entry per address that ever connected


def principal_key(user_id: object | None, client_id: str | None) -> str:
    """One key per user (all their tokens) or per partner client (all its tokens)."""
    return f"client:{client_id}" if client_id is not None else f"user:{user_id}"


__all__ = ["ADDRESS_REASON", "PRINCIPAL_REASON", "TRY_AGAIN_LATER", "SocketCaps", "principal_key"]
