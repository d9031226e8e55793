"""ICE set-up: explicit STUN/TURN servers, which local addresses to gather on, which remote ones to accept.

aiortc falls back to a public STUN server when it is given no ICE servers, and aioice gathers host
candidates on every interface *except* loopback. Neither suits a court network or a loopback test:

* ICE servers always come from settings (an empty list means host candidates only);
* ``host_addresses`` picks the local addresses to gather on (``127.0.0.1`` for loopback), and
  ``gather_loopback`` adds ``127.0.0.1`` to aioice's own choice (every interface): a server that
  browsers reach both on its own machine and from the LAN (``make run``). aioice
  has no option for it: it calls its module-level ``aioice.ice.get_host_addresses()`` while
  gathering. We wrap that function once, and the wrapper answers from a context variable that is
  set only around our own ``setLocalDescription`` calls (asyncio tasks inherit it), so other peer
  connections in the process keep aioice's behaviour. aioice is pinned; tests/streaming/test_ice.py
  pins the hook;
* ``allowed_networks`` drops remote candidates outside the given networks from an SDP before we
  apply it (a browser also offers its LAN and public addresses; a loopback test must not send there).
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer

from streaming.errors import AiortcInternalsError
from streaming.settings import IceServerConfig

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# (addresses to gather on, whether aioice's own choice comes first)
_host_addresses: contextvars.ContextVar[tuple[tuple[str, ...], bool] | None] = contextvars.ContextVar(
    "courtrec_ice_host_addresses", default=None
)
_install_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class IcePolicy:
    """How our peer connections gather and which remote candidates they accept."""

    servers: tuple[IceServerConfig, ...] = ()
    host_addresses: tuple[str, ...] = ()
    allowed_networks: tuple[IpNetwork, ...] = ()
    gather_loopback: bool = False

    @classmethod
    def from_lists(
        cls,
        servers: Sequence[IceServerConfig],
        host_addresses: Sequence[str],
        allowed: Sequence[str],
        *,
        gather_loopback: bool = False,
    ) -> IcePolicy:
        """Build a policy from settings-style lists (addresses and networks as text)."""
        return cls(
            servers=tuple(servers),
            host_addresses=tuple(host_addresses),
            allowed_networks=tuple(ipaddress.ip_network(text, strict=False) for text in allowed),
            gather_loopback=gather_loopback,
        )

    @classmethod
    def loopback(cls) -> IcePolicy:
        """Gather on 127.0.0.1 only and accept only loopback candidates (tests, one-machine demos)."""
        return cls.from_lists((), ("127.0.0.1",), ("127.0.0.0/8", "::1/128"))

    def configuration(self) -> RTCConfiguration:
        """An RTCConfiguration with exactly our ICE servers (never aiortc's public default)."""
        return RTCConfiguration(
            iceServers=[
                RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
                for s in self.servers
            ]
        )

    @contextlib.contextmanager
    def gathering(self) -> Iterator[None]:
        """Within this block (and tasks started from it) aioice gathers on ``host_addresses`` (or on
        its own choice of interfaces when that is empty), plus ``127.0.0.1`` with ``gather_loopback``."""
        if not self.host_addresses and not self.gather_loopback:
            yield
            return
        install_host_address_hook()
        loopback = ("127.0.0.1",) if self.gather_loopback and "127.0.0.1" not in self.host_addresses else ()
        token = _host_addresses.set((self.host_addresses + loopback, not self.host_addresses))
        try:
            yield
        finally:
            _host_addresses.reset(token)

    def filter_sdp(self, sdp: str) -> str:
        """``sdp`` without the candidate lines whose address is outside ``allowed_networks``.

        mDNS (``.local``) candidates are dropped too when a list is set: they cannot be checked.
        """
        if not self.allowed_networks:
            return sdp
        kept = [line for line in sdp.splitlines() if not _is_refused_candidate(line, self.allowed_networks)]
        return "\r\n".join(kept) + "\r\n"


def _is_refused_candidate(line: str, allowed: tuple[IpNetwork, ...]) -> bool:
    if not line.startswith("a=candidate:"):
        return False
    fields = line.split()
    if len(fields) < 6:
        return True
    try:
        address = ipaddress.ip_address(fields[4])
    except ValueError:
        return True  # a hostname (mDNS) we will not resolve
    return not any(address in network for network in allowed)


def install_host_address_hook() -> None:
    """Wrap ``aioice.ice.get_host_addresses`` once (idempotent); see the module docstring.

    Raises AiortcInternalsError when aioice no longer has that function.
    """
    with _install_lock:
        current = getattr(aioice.ice, "get_host_addresses", None)
        if current is None:
            raise AiortcInternalsError("aioice.ice.get_host_addresses is gone: update streaming/ice.py")
        if getattr(current, "_courtrec_hook", False):
            return
        setattr(aioice.ice, "get_host_addresses", _selecting(current))  # noqa: B010


def _selecting(original: Callable[[bool, bool], list[str]]) -> Callable[[bool, bool], list[str]]:
    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        selection = _host_addresses.get()
        if selection is None:
            return original(use_ipv4, use_ipv6)
        chosen, with_defaults = selection
        defaults = original(use_ipv4, use_ipv6) if with_defaults else []
        picked = [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]
        return [*defaults, *(a for a in picked if a not in defaults)]

    get_host_addresses._courtrec_hook = True  # type: ignore[attr-defined]
    return get_host_addresses
