"""Live first on a weak link (issue 15 item 3): while live is on, the body camera's uploader drains
the backlog no faster than ``--upload-rate-live``; when live stops, the usual cap is back. Real
uploader, real SeaweedFS; the live publisher here is a stand-in (the link share is what is tested;
bench/bodycam_drain.py measures real live latency while draining over a shaped link)."""

from __future__ import annotations

import hashlib
import socket
import struct
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import urllib3
from urllib3.connection import HTTPConnection

from archive.spool import Uploader, UploadQueue, UploadState
from archive.store import ObjectStore
from capture.bodycam.live_share import capped_while_live
from tests.waiting import wait_until

SEGMENT = 100_000


def _backlog(queue: UploadQueue, directory: Path, count: int) -> None:
    run = uuid.uuid4().hex[:8]
    for n in range(count):
        data = bytes([n % 256]) * SEGMENT
        path = directory / f"{run}-{n}.m4s"
        path.write_bytes(data)
        queue.enqueue(
            object_key=f"rec/{run}/{n:04d}.m4s",
            local_path=path,
            sha256=hashlib.sha256(data).hexdigest(),
            size=SEGMENT,
            recording_id="rec",
            delete_after_upload=True,
        )


def _done(queue: UploadQueue) -> int:
    return queue.counts()[UploadState.DONE]


@pytest.mark.integration
def test_the_backlog_is_capped_while_live_and_uncapped_after(
    tmp_path: Path, object_store: ObjectStore
) -> None:
    with UploadQueue(tmp_path / "q.sqlite") as queue:
        _backlog(queue, tmp_path, 40)
        pacings: list[int] = []

        def paced(rate: int) -> ObjectStore:
            pacings.append(rate)
            return ObjectStore(object_store.config, pacing_bytes_per_second=rate)

        uploader = Uploader(queue, object_store, paced_store=paced)
        live_on: list[bool] = []

        def start_live() -> Callable[[], None]:
            live_on.append(True)
            return lambda: live_on.append(False)

        stop = capped_while_live(uploader, live_rate=200_000, usual_rate=None, start_live=start_live)
        assert live_on == [True] and uploader.rate_cap == 200_000
        assert pacings == [100_000]  # each of the 2 workers' connections sends at most half the cap
        uploader.start()
        try:
            time.sleep(0.3)
            before, began = _done(queue), time.monotonic()
            time.sleep(2.0)
            capped = (_done(queue) - before) * SEGMENT / (time.monotonic() - began)
            assert capped <= 200_000 * 1.3, capped  # 2 s at 200 kB/s: about 4 of the 100 kB segments
            assert _done(queue) < 40
            stop()
            assert live_on == [True, False] and uploader.rate_cap is None and pacings == [100_000]
            wait_until(lambda: _done(queue) == 40, 30, "the rest of the backlog, uncapped")
        finally:
            uploader.stop()
    assert not list(tmp_path.glob("*.m4s"))


def test_a_failed_live_start_restores_the_usual_cap() -> None:
    class Capped:
        def __init__(self) -> None:
            self.rates: list[float | None] = []

        def set_rate(self, bytes_per_second: float | None) -> None:
            self.rates.append(bytes_per_second)

    def refused() -> Callable[[], None]:
        raise RuntimeError("WHIP refused")

    capped = Capped()
    with pytest.raises(RuntimeError, match="WHIP refused"):
        capped_while_live(capped, live_rate=1000, usual_rate=5000, start_live=refused)
    assert capped.rates == [1000, 5000]
    stop = capped_while_live(capped, live_rate=8000, usual_rate=5000, start_live=lambda: lambda: None)
    assert capped.rates[-1] == 5000  # live never gets more backlog than the usual cap allows
    stop()
    assert capped.rates[-1] == 5000


# The kernel's pacing (tcp_update_skb_after_send): a connection's first 10 segments go unpaced (as
# sch_fq's initial quantum), and every later packet leaves no earlier than the one before it plus that
# one's length at the rate; so the last packet (one GSO packet, at most 64 KiB) leaves at least
# (sent - 10 MSS - 64 KiB) / rate after the first.
_UNPACED_SEGMENTS = 10
_GSO_MAX_BYTES = 65_536
_ETHERNET_MSS = 1448  # the paced connection's segments as on a LAN (loopback's would be 64 KiB)


def _tcp_info(sock: socket.socket) -> tuple[int, int, int]:
    """The connection's (segment size, maximum pacing rate, bytes sent) from Linux's TCP_INFO."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    (mss,) = struct.unpack_from("I", info, 16)  # tcpi_snd_mss
    (max_pacing_rate,) = struct.unpack_from("Q", info, 112)  # tcpi_max_pacing_rate
    (bytes_sent,) = struct.unpack_from("Q", info, 200)  # tcpi_bytes_sent
    return mss, max_pacing_rate, bytes_sent


@pytest.mark.integration
def test_a_paced_store_sends_no_faster_than_its_pacing(
    tmp_path: Path, object_store: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SO_MAX_PACING_RATE on the store's connections: one 1 MiB PUT paced at 500 kB/s takes as long
    as the kernel's pacing promises for the bytes its connection sent (all but the unpaced first
    segments and the last packet), even on loopback, where the unpaced PUT takes a fraction of it."""
    rate = 500_000
    data = bytes(range(256)) * 4096  # 1 MiB
    digest = hashlib.sha256(data).hexdigest()
    clamped = [*HTTPConnection.default_socket_options, (socket.IPPROTO_TCP, socket.TCP_MAXSEG, _ETHERNET_MSS)]
    monkeypatch.setattr(HTTPConnection, "default_socket_options", clamped)
    paced = ObjectStore(object_store.config, pacing_bytes_per_second=rate)
    opened: list[socket.socket] = []
    create_connection = urllib3.util.connection.create_connection

    def recording(*args: Any, **kwargs: Any) -> socket.socket:
        opened.append(create_connection(*args, **kwargs))
        return opened[-1]

    object_store.put_bytes(f"rec/warm-{uuid.uuid4().hex[:8]}", b"x", hashlib.sha256(b"x").hexdigest())
    began = time.monotonic()
    object_store.put_bytes(f"rec/unpaced-{uuid.uuid4().hex[:8]}", data, digest)
    unpaced = time.monotonic() - began
    monkeypatch.setattr(urllib3.util.connection, "create_connection", recording)
    began = time.monotonic()
    paced.put_bytes(f"rec/paced-{uuid.uuid4().hex[:8]}", data, digest)
    took = time.monotonic() - began
    (sock,) = opened  # the paced store's one connection, still open in its pool
    mss, max_pacing_rate, sent = _tcp_info(sock)
    assert max_pacing_rate == rate and mss <= _ETHERNET_MSS and sent >= len(data)
    promised = (sent - _UNPACED_SEGMENTS * mss - _GSO_MAX_BYTES) / rate  # about 1.95 s of 2.1 s
    assert took >= promised - 0.02, (took, promised, mss, sent)
    assert unpaced < took / 2, (took, unpaced)
