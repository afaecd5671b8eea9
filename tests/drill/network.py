"""A throwaway network of Linux network namespaces: one bridge in the root namespace, one veth
per "host" namespace, private addresses in a random 10.x.y.0/24 that no route of the machine
uses. Names carry a random tag so parallel runs never clash; ``close`` removes everything (and
is safe to call twice, or after a half-built start)."""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
import subprocess
from dataclasses import dataclass, field


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)  # noqa: S603,S607
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed: {result.stderr.strip()}")
    return result


def _free_subnet() -> ipaddress.IPv4Network:
    used = [
        ipaddress.ip_network(line.split()[0], strict=False)
        for line in ip("-4", "route", "show", "table", "all").stdout.splitlines()
        if line and line.split()[0][0].isdigit()
    ]
    for _ in range(100):
        candidate = ipaddress.ip_network(
            f"10.{secrets.randbelow(200) + 50}.{secrets.randbelow(256)}.0/24"
        )
        if not any(candidate.overlaps(route) for route in used):
            return candidate
    raise RuntimeError("no free 10.x.y.0/24 for the drill network")


@dataclass
class Host:
    """A network namespace with one interface on the drill's bridge."""

    namespace: str
    address: str
    veth: str  # the root-namespace end: taking it down cuts the host off

    def command(self, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.namespace, *argv]

    def cut(self) -> None:
        ip("link", "set", self.veth, "down")


@dataclass
class Network:
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    subnet: ipaddress.IPv4Network = field(default_factory=_free_subnet)
    hosts: list[Host] = field(default_factory=list)

    @property
    def bridge(self) -> str:
        return f"dr{self.tag}br"

    @property
    def gateway(self) -> str:
        """The root namespace's address on the bridge (where the test and its clients live)."""
        return str(self.subnet[1])

    def start(self) -> Network:
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.gateway}/{self.subnet.prefixlen}", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        return self

    def add_host(self, name: str) -> Host:
        index = len(self.hosts) + 2
        host = Host(f"drill-{self.tag}-{name}", str(self.subnet[index]), f"dr{self.tag}h{index}")
        self.hosts.append(host)
        ip("netns", "add", host.namespace)
        ip("link", "add", host.veth, "type", "veth", "peer", "name", f"dr{self.tag}p{index}")
        ip("link", "set", f"dr{self.tag}p{index}", "netns", host.namespace)
        ip("link", "set", host.veth, "master", self.bridge)
        ip("link", "set", host.veth, "up")
        inside = ["netns", "exec", host.namespace, "ip"]
        ip(*inside, "link", "set", f"dr{self.tag}p{index}", "name", "eth0")
        ip(*inside, "addr", "add", f"{host.address}/{self.subnet.prefixlen}", "dev", "eth0")
        ip(*inside, "link", "set", "eth0", "up")
        ip(*inside, "link", "set", "lo", "up")
        return host

    def close(self) -> None:
        for host in self.hosts:
            ip("link", "del", host.veth, check=False)  # deletes its peer too
            ip("netns", "del", host.namespace, check=False)
        ip("link", "del", self.bridge, check=False)


def usable() -> str | None:
    """Why namespaces cannot be built here, or None when they can (tried for real)."""
    probe = f"drill-probe-{secrets.token_hex(3)}"
    try:
        result = ip("netns", "add", probe, check=False)
    except (OSError, subprocess.SubprocessError) as error:
        return f"cannot run ip: {error}"
    if result.returncode != 0:
        return f"cannot create a network namespace: {result.stderr.strip()}"
    with contextlib.suppress(Exception):
        ip("netns", "del", probe, check=False)
    return None
