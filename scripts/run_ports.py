"""Where ``make run`` listens: the portal's host and port and the embedded store's S3 port, from
options or settings (COURTREC_RUN_HOST, COURTREC_RUN_PORTAL_PORT, COURTREC_RUN_STORE_PORT), each port
checked before anything starts, and the URLs to print for this machine and the LAN.

The portal binds 127.0.0.1 unless told otherwise: ``--host 0.0.0.0`` (or COURTREC_RUN_HOST=0.0.0.0)
opens it to the LAN, and the printed URLs then name this machine's LAN address too.
"""

from __future__ import annotations

import argparse
import errno
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from archive.store.embedded.weed_process import weed_ports

LOOPBACK = "127.0.0.1"
EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - only when the operator asks for LAN access


class RunSettings(BaseSettings):
    """``make run``'s own settings (env prefix COURTREC_RUN_)."""

    model_config = SettingsConfigDict(env_prefix="COURTREC_RUN_", extra="ignore")

    host: str = Field(default=LOOPBACK, description="the portal's address; 0.0.0.0 for the LAN")
    portal_port: int = Field(default=8000, ge=1, le=65535)
    store_port: int = Field(default=8333, ge=1024, le=55526)  # weed opens up to +10008


@dataclass(frozen=True, slots=True)
class RunPorts:
    """The chosen address and ports."""

    host: str
    portal_port: int
    store_port: int


class PortTakenError(Exception):
    """A port ``make run`` needs is in use; the message names it and how to choose another."""


def add_port_options(parser: argparse.ArgumentParser, settings: RunSettings) -> None:
    """``--host``, ``--portal-port`` and ``--port`` (the store's S3 port), defaults from ``settings``."""
    parser.add_argument(
        "--host",
        default=settings.host,
        help=f"the portal's address (default {settings.host}; 0.0.0.0 opens it to the LAN)",
    )
    parser.add_argument("--portal-port", type=int, default=settings.portal_port)
    parser.add_argument(
        "--port", "--store-port", dest="store_port", type=int, default=settings.store_port, help="S3 port"
    )


def ports_of(args: argparse.Namespace) -> RunPorts:
    """The ports the parsed options chose."""
    return RunPorts(host=args.host, portal_port=args.portal_port, store_port=args.store_port)


def check_ports(ports: RunPorts, *, store: bool = True) -> None:
    """Raise PortTakenError naming the first port in use (the portal's on its host; with ``store``
    the S3 port and the ports weed derives from it on 127.0.0.1) and the option or setting that
    moves it."""
    portal_host = LOOPBACK if ports.host in ("localhost", "") else ports.host
    _require_free(portal_host, ports.portal_port, "the portal", "--portal-port or COURTREC_RUN_PORTAL_PORT")
    if not store:
        return
    if ports.portal_port in weed_ports(ports.store_port).values():
        raise PortTakenError(
            f"port {ports.portal_port} is both the portal's and one the S3 store needs (it uses"
            f" {ports.store_port}..{ports.store_port + 8} and {ports.store_port + 10008}); choose another"
            " with --portal-port or --port"
        )
    for flag, port in weed_ports(ports.store_port).items():
        what = "the S3 store" if port == ports.store_port else f"the S3 store's weed -{flag}"
        _require_free(LOOPBACK, port, what, "--port or COURTREC_RUN_STORE_PORT")


def local_url(host: str, port: int) -> str:
    """The portal's URL from this machine (loopback unless it binds one other address only)."""
    bound_elsewhere = host not in (LOOPBACK, "localhost", "", EVERY_INTERFACE)
    return f"http://{host if bound_elsewhere else LOOPBACK}:{port}"


def _require_free(host: str, port: int, what: str, how: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # as the servers bind: a port left in TIME_WAIT by a previous run is not "taken", a listener is
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                reason = "is already in use by another program"
            else:
                reason = f"cannot be used ({exc.strerror or exc})"
            raise PortTakenError(
                f"port {port} on {host} ({what}) {reason}; stop that program or choose another port"
                f" with {how}"
            ) from exc


def portal_urls(host: str, port: int) -> list[str]:
    """The portal's base URLs to print: this machine's, and the LAN addresses' when ``host`` is every
    interface (or a LAN address itself)."""
    if host in (LOOPBACK, "localhost", ""):
        return [f"http://{LOOPBACK}:{port}"]
    if host != EVERY_INTERFACE:
        return [f"http://{host}:{port}"]
    return [f"http://{LOOPBACK}:{port}", *(f"http://{address}:{port}" for address in lan_addresses())]


def lan_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses (the one with the default route first)."""
    found: list[str] = []
    routed = _routed_address()
    if routed:
        found.append(routed)
    try:
        infos: Iterable[tuple[object, ...]] = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        infos = ()
    for info in infos:
        address = str(info[4][0])  # type: ignore[index]
        if not address.startswith("127.") and address not in found:
            found.append(address)
    return found


def _routed_address() -> str | None:
    """The address the default route leaves from (a UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never reached, only routed
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") or address == EVERY_INTERFACE else address
