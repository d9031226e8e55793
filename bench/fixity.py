"""Fixity audit throughput: courtrec's audit re-hashing from S3 against a plain download piped through
``sha256sum``, side by side in this one run, on the same objects of the same real SeaweedFS server.

The bench writes one synthetic recording (500 MB by default, in 1.5 MiB "6-s 720p segments") with a
real signed journal, then times:
  * ours: ``FixityAudit`` over that site, every object re-read in full and re-hashed against the
    journal (chain and signatures checked first), with its default 4 workers and with 1;
  * baseline: for each object, minio ``get_object`` streamed into a coreutils ``sha256sum`` process.
Each side runs twice, alternating; the better run of each counts. Prints MB/s of each and the ratio
ours / baseline (goal: >= 0.8), plus the download alone (no hashing) as the ceiling for reference.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from minio import Minio

from archive.formats.hashing import sha256_bytes
from archive.journal.run_events import StartEvent, StopEvent
from archive.journal.segment_events import SegmentEvent
from archive.journal.signing.device_key import load_or_create_device_key
from archive.journal.writer import JournalWriter, list_chunks
from archive.preservation.fixity_audit import FixityAudit
from archive.spool.layout import locator_body, locator_key
from archive.store.embedded import EmbeddedStore
from archive.store.object_store import ObjectStore
from archive.store.sites import Site

PREFIX = "recordings/bench-court/2026/01/01/bench"


def _write_recording(store: ObjectStore, work: Path, total_bytes: int, segment_bytes: int) -> list[str]:
    """Upload random segments and a signed journal naming them; returns every key of the recording."""
    key = load_or_create_device_key(work / "device.pem")
    keys = []
    with JournalWriter.open(work / "journal", "bench", key) as journal:
        journal.append(
            StartEvent(
                device_id="bench",
                public_key=key.public_key_b64,
                court="bench-court",
                room="bench",
                case="bench",
                run=1,
                reason="bench",
                object_prefix=PREFIX,
                streams=(),
            )
        )
        for number in range(1, total_bytes // segment_bytes + 1):
            data = os.urandom(segment_bytes)
            digest = sha256_bytes(data)
            relative = f"cam/{number:08d}.m4s"
            store.put_bytes(f"{PREFIX}/{relative}", data, digest)
            journal.append(
                SegmentEvent(
                    stream="cam",
                    segment=number,
                    object=relative,
                    sha256=digest,
                    size=len(data),
                    init=None,
                    start_seconds=None,
                    end_seconds=None,
                    duration=None,
                    t_start_utc=None,
                    t_end_utc=None,
                )
            )
            keys.append(f"{PREFIX}/{relative}")
            if number % 60 == 0:
                journal.checkpoint()
        journal.append(StopEvent(reason="bench"))
        journal.checkpoint()
    for chunk in list_chunks(work / "journal"):
        data = chunk.read_bytes()
        store.put_bytes(f"{PREFIX}/journal/{chunk.name}", data, sha256_bytes(data))
        keys.append(f"{PREFIX}/journal/{chunk.name}")
    locator = locator_body("bench", PREFIX)
    store.put_bytes(locator_key("bench"), locator, sha256_bytes(locator))
    return [*keys, locator_key("bench")]


def _ours(store: ObjectStore, workers: int) -> tuple[float, int]:
    started = time.perf_counter()
    report = FixityAudit([Site("primary", store)], workers=workers).run()
    seconds = time.perf_counter() - started
    if report.findings or report.copies_hashed != report.objects_expected:
        sys.exit(f"the audit did not come out clean: {report.findings[:3]}")
    return seconds, report.bytes_hashed


def _client(store: ObjectStore) -> Minio:
    config = store.config
    return Minio(config.netloc, access_key=config.access_key, secret_key=config.secret_key, secure=False)


def _download_only(store: ObjectStore, keys: list[str]) -> tuple[float, int]:
    """The ceiling: read every object and throw the bytes away (no hashing at all)."""
    client, total = _client(store), 0
    started = time.perf_counter()
    for key in keys:
        response = client.get_object(store.config.bucket, key)
        total += sum(len(chunk) for chunk in response.stream(1 << 20))
        response.close()
        response.release_conn()
    return time.perf_counter() - started, total


def _baseline(store: ObjectStore, keys: list[str]) -> tuple[float, int]:
    config = store.config
    client = _client(store)
    total = 0
    started = time.perf_counter()
    for key in keys:
        response = client.get_object(config.bucket, key)
        hasher = subprocess.Popen(["sha256sum"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert hasher.stdin is not None and hasher.stdout is not None
        for chunk in response.stream(1 << 20):
            hasher.stdin.write(chunk)
            total += len(chunk)
        hasher.stdin.close()
        hasher.stdout.read()
        hasher.wait()
        response.close()
        response.release_conn()
    return time.perf_counter() - started, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=500)
    parser.add_argument("--segment-kib", type=int, default=1536, help="1.5 MiB ~ 6 s of 720p at 2 Mbit/s")
    parser.add_argument("--port", type=int, default=18533)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-fixity-") as scratch:
        work = Path(scratch)
        with EmbeddedStore(work / "store", port=args.port) as server:
            store = ObjectStore(server.config, timeout_seconds=60)
            store.ensure_bucket()
            keys = _write_recording(store, work, args.megabytes * 1_000_000, args.segment_kib * 1024)
            runs: dict[str, list[tuple[float, int]]] = {"ours": [], "ours-1": [], "baseline": [], "read": []}
            for _ in range(2):
                runs["read"].append(_download_only(store, keys))
                runs["baseline"].append(_baseline(store, keys))
                runs["ours"].append(_ours(store, workers=4))
                runs["ours-1"].append(_ours(store, workers=1))
    rates = {name: max(size / 1e6 / seconds for seconds, size in found) for name, found in runs.items()}
    size_mb = runs["ours"][0][1] / 1e6
    print(
        f"fixity audit, {size_mb:.0f} MB in {len(keys)} objects, SeaweedFS on loopback, best of 2 runs each"
    )
    print(f"  courtrec audit (4 workers), re-hash vs journal: {rates['ours']:7.1f} MB/s")
    print(f"  courtrec audit (1 worker):                      {rates['ours-1']:7.1f} MB/s")
    print(f"  plain download | sha256sum, per object:         {rates['baseline']:7.1f} MB/s")
    print(f"  (ceiling: download only, no hashing:            {rates['read']:7.1f} MB/s)")
    ratio = rates["ours"] / rates["baseline"]
    print(f"  ratio ours/baseline:                            {ratio:7.3f}  (goal >= 0.8)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
