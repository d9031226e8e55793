"""A test host in its own network namespace, joined to this machine by a veth pair.

libnice (GStreamer's ICE) gathers no loopback candidates, so a GStreamer peer cannot reach our
server over 127.0.0.1. The test makes its own small network instead: a namespace holding one end of
a veth pair (``10.213.X.Y+2/30``), the other end here (``10.213.X.Y+1/30``). Programs run inside
with ``ip netns exec``. Everything is removed afterwards; the addresses are picked at random among
the /30 networks of 10.213.0.0/16 that no interface uses, so parallel tests do not collide.
Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and iproute2.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import random
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

POOL = ipaddress.ip_network("10.213.0.0/16")


class NamespaceUnavailable(Exception):
    """This machine (or this user) cannot make a network namespace."""


@dataclass(frozen=True)
class PeerHost:
    name: str  # the namespace
    host_address: str  # our end of the veth pair
    peer_address: str  # the test host's address, inside the namespace
    network: str  # the /30 both are in

    def command(self, *argv: str) -> list[str]:
        """``argv`` run inside the namespace."""
        return ["ip", "netns", "exec", self.name, *argv]


def _ip(*argv: str) -> None:
    result = subprocess.run(["ip", *argv], check=False, capture_output=True, text=True, timeout=10)
    if result.returncode != 0:
        raise NamespaceUnavailable(f"ip {' '.join(argv)}: {result.stderr.strip()}")


def _used_networks() -> set[ipaddress.IPv4Network]:
    out = subprocess.run(
        ["ip", "-4", "-o", "addr"], check=False, capture_output=True, text=True, timeout=10
    ).stdout
    used = set()
    for line in out.splitlines():
        fields = line.split()
        if "inet" in fields:
            used.add(ipaddress.ip_interface(fields[fields.index("inet") + 1]).network)
    return used


@contextlib.contextmanager
def peer_host() -> Iterator[PeerHost]:
    """A fresh namespace with a veth link to this machine; raises NamespaceUnavailable when not possible."""
    if shutil.which("ip") is None:
        raise NamespaceUnavailable("iproute2's `ip` is not installed")
    used = _used_networks()
    network = random.choice([n for n in POOL.subnets(new_prefix=30) if not any(n.overlaps(u) for u in used)])
    tag = f"{os.getpid() % 100000}{random.randrange(100):02d}"
    name, host_if, peer_if = f"courtrec-{tag}", f"crh{tag}", f"crp{tag}"
    host_address, peer_address = (str(a) for a in list(network.hosts())[:2])
    _ip("netns", "add", name)
    try:
        _ip("link", "add", host_if, "type", "veth", "peer", "name", peer_if, "netns", name)
        _ip("addr", "add", f"{host_address}/30", "dev", host_if)
        _ip("link", "set", host_if, "up")
        _ip("-n", name, "addr", "add", f"{peer_address}/30", "dev", peer_if)
        _ip("-n", name, "link", "set", peer_if, "up")
        _ip("-n", name, "link", "set", "lo", "up")
        yield PeerHost(name, host_address, peer_address, str(network))
    finally:
        # deleting the namespace destroys its veth end, and with it ours
        subprocess.run(["ip", "link", "del", host_if], check=False, capture_output=True, timeout=10)
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True, timeout=10)
