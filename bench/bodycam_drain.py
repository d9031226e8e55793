"""A body camera's backlog drain over a shaped 20 Mbit/s link, against plain `minio`, and live latency
while draining (issue 15 item 8).

The link is real: a veth pair into a network namespace, shaped with ``tc`` on our side (tbf at
``--link-mbit`` with a 200 ms queue; no added delay: this kernel has no sch_netem). SeaweedFS and
the live relay (``python -m streaming serve``) run inside the namespace; everything uploading or
publishing runs here, so every byte of the uploads and of the live feed crosses the shaped
direction. Root is needed; the namespace and its qdisc are removed at the end.

The backlog is ``--minutes`` of 720p at the body camera's 2.5 Mbit/s cap in ``--segment-seconds``
segments. It is a fast synthetic stand-in: random bytes of the size such segments have (S3 PUTs are
not compressed, so only the sizes matter to the link), generated once and copied for each run.

1. Drain alone, side by side over the same link: plain ``minio`` ``fput_object`` of every file, then
   our durable queue and uploader (verified PUT + HEAD, 2 workers) on copies of the same files.
   Prints MB/s, the fraction of the link (goal >= 0.9) and the ratio ours / minio.
2. Live: a real ``python -m capture bodycam`` (``--live-size``, default 720p, at 25 fps; a synthetic
   source with a burned-in clock; ``--activate-on-start --live``) publishing over the same link,
   first with an empty spool (the baseline), then with a backlog in its spool that its uploader
   drains meanwhile (capped at ``--upload-rate-live`` while live, on kernel-paced connections). A
   WHEP viewer here decodes each picture and reads the clock back: latency = arrival - the stamp the
   source put in at capture (glass to glass, on one machine's clock). Prints p50/p95 (goal p95 <
   400 ms) and the drain rate meanwhile.

``python bench/bodycam_drain.py [--minutes 60] [--link-mbit 20] [--live-seconds 60]`` (not in CI).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from drain_live import enqueue, live_while_draining
from live_kit import percentile
from minio import Minio

import archive.store.embedded.store as embedded
from archive.spool import Uploader, UploadQueue
from archive.store import ObjectStore, StoreConfig
from tests.streaming.netns import PeerHost, peer_host

BODYCAM_BITRATE = 2_500_000
STORE_PORT = 18533


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=20)


@contextlib.contextmanager
def shaped_link(mbit: float) -> Iterator[PeerHost]:
    """A namespace reached through a veth pair whose our-way direction is shaped by tbf at ``mbit``
    (a 200 ms queue, as a cellular uplink buffers). No added delay: this machine's kernel has no
    sch_netem (``tc qdisc add ... netem`` answers "qdisc kind is unknown")."""
    with peer_host() as peer:
        device = _host_interface(peer)
        _run(
            "tc", "qdisc", "add", "dev", device, "root", "tbf",
            "rate", f"{mbit}mbit", "burst", "32kb", "latency", "200ms",
        )  # fmt: skip
        try:
            yield peer
        finally:
            subprocess.run(["tc", "qdisc", "del", "dev", device, "root"], check=False, capture_output=True)


def _host_interface(peer: PeerHost) -> str:
    out = subprocess.run(["ip", "-o", "-4", "addr"], check=True, capture_output=True, text=True).stdout
    return next(line.split()[1] for line in out.splitlines() if f" {peer.host_address}/" in line)


class NamespacedStore(embedded.EmbeddedStore):
    """The embedded SeaweedFS, run inside the namespace (``ip netns exec`` execs weed itself)."""

    def __init__(self, data_dir: Path, peer: PeerHost) -> None:
        super().__init__(data_dir, port=STORE_PORT, host=peer.peer_address, public_bucket=None)
        self._peer = peer

    def _command(self, weed: Path) -> list[str]:
        return self._peer.command(*super()._command(weed))


def make_backlog(directory: Path, minutes: float, segment_seconds: float) -> list[Path]:
    directory.mkdir(parents=True)
    size = int(BODYCAM_BITRATE / 8 * segment_seconds)
    files = []
    for number in range(1, int(minutes * 60 / segment_seconds) + 1):
        path = directory / f"{number:08d}.m4s"
        path.write_bytes(os.urandom(size))
        files.append(path)
    return files


def minio_drain(config: StoreConfig, files: list[Path]) -> float:
    client = Minio(
        config.endpoint.split("://")[1],
        access_key=config.access_key,
        secret_key=config.secret_key,
        secure=False,
    )
    started = time.perf_counter()
    for path in files:
        client.fput_object(config.bucket, f"minio/{path.name}", str(path))
    return time.perf_counter() - started


def ours_drain(config: StoreConfig, files: list[Path], spool: Path) -> float:
    with UploadQueue(spool / "queue.sqlite") as queue:
        enqueue(queue, files, "ours")
        started = time.perf_counter()
        if not Uploader(queue, ObjectStore(config)).drain(timeout_seconds=4 * 3600):
            sys.exit("our queue did not drain")
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="backlog of 720p (default 60)")
    parser.add_argument("--segment-seconds", type=float, default=6.0)
    parser.add_argument("--link-mbit", type=float, default=20.0)
    parser.add_argument("--live-seconds", type=float, default=60.0, help="live measured while draining")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument(
        "--live-size",
        default="1280x720",
        help="the live camera's picture size (the viewer decodes every picture: on a loaded machine a"
        " smaller one keeps the decoder from being what is measured)",
    )
    parser.add_argument(
        "--upload-rate-live",
        type=int,
        default=None,
        help="the bodycam's backlog cap while live, bytes/s (default: 3/4 of the link minus live's cap)",
    )
    args = parser.parse_args()
    link = args.link_mbit * 1e6 / 8  # bytes/s
    if args.upload_rate_live is None:
        args.upload_rate_live = int(0.75 * link - BODYCAM_BITRATE / 8)
    embedded.check_ports_free = lambda _host, _ports: None  # the ports are the namespace's, not ours
    with (
        tempfile.TemporaryDirectory(prefix="bodycam-drain-") as directory,
        shaped_link(args.link_mbit) as peer,
    ):
        scratch = Path(directory)
        store = NamespacedStore(scratch / "store", peer)
        store.start()
        try:
            config = store.config
            ObjectStore(config).ensure_bucket()
            files = make_backlog(scratch / "backlog", args.minutes, args.segment_seconds)
            total = sum(path.stat().st_size for path in files)
            (scratch / "ours").mkdir()
            ours_files = [Path(shutil.copy2(p, scratch / "ours" / p.name)) for p in files]
            print(
                f"backlog: {args.minutes:g} min of 720p at 2.5 Mbit/s = {total / 1e6:.1f} MB in {len(files)}"
                f" segments; link {args.link_mbit:g} Mbit/s ({link / 1e6:.2f} MB/s)",
                flush=True,
            )
            minio_seconds = minio_drain(config, files)
            ours_seconds = ours_drain(config, ours_files, scratch)
            alone = asyncio.run(live_while_draining(peer, config, 0, files, _fresh(scratch / "alone"), args))
            during = int(
                (args.live_seconds + args.warmup + 30) * link
            )  # more than the link can take meanwhile
            live = asyncio.run(
                live_while_draining(peer, config, during, files, _fresh(scratch / "during"), args)
            )
        finally:
            store.stop()
    minio_rate, ours_rate = total / minio_seconds, total / ours_seconds
    print(
        f"  plain minio fput_object:       {minio_rate / 1e6:6.2f} MB/s = {minio_rate / link:.3f} of the link"
    )
    print(
        f"  courtrec queue + verified PUT: {ours_rate / 1e6:6.2f} MB/s = {ours_rate / link:.3f} (goal >= 0.9)"
    )
    print(f"  ratio ours / minio:            {ours_rate / minio_rate:6.3f}")
    if not live.latencies or not alone.latencies:
        print("live: no readable pictures arrived")
        return 1
    load = os.getloadavg()[0]
    print(f"live pictures {args.live_size}@25; load average at the end {load:.1f} on {os.cpu_count()} CPUs")
    a50, a95 = percentile(alone.latencies, 0.5), percentile(alone.latencies, 0.95)
    print(
        f"live alone ({alone.seconds:.0f} s, the baseline): {len(alone.latencies)} pictures, glass-to-glass"
        f" p50 {a50:.0f} ms, p95 {a95:.0f} ms, max {max(alone.latencies):.0f} ms"
    )
    p50, p95 = percentile(live.latencies, 0.5), percentile(live.latencies, 0.95)
    meter = sum(live.meter_rates) / len(live.meter_rates) if live.meter_rates else 0.0
    print(
        f"live while draining ({live.seconds:.0f} s, the backlog capped at {args.upload_rate_live / 1e6:.2f}"
        " MB/s while live):"
        f" {len(live.latencies)} pictures, glass-to-glass p50 {p50:.0f} ms, p95 {p95:.0f} ms (goal < 400),"
        f" max {max(live.latencies):.0f} ms, unreadable stamps {live.unreadable}"
    )
    print(
        f"  backlog drained meanwhile: {live.drained_bytes / 1e6:.1f} MB net"
        f" ({live.drained_bytes / live.seconds / 1e6:.2f} MB/s net of what the camera recorded;"
        f" the uploader's meter, bytes per second while sending, said {meter / 1e6:.2f})"
    )
    return 0


def _fresh(directory: Path) -> Path:
    directory.mkdir(parents=True)
    return directory


if __name__ == "__main__":
    sys.exit(main())
