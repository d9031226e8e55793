"""Upload throughput: sealed segments through our durable queue against plain `minio` put_object.

Both run side by side in this one run against the same real SeaweedFS server on loopback, over the
same files (1 GB by default of 1.5 MB "6-s 720p segments"). Ours: the SQLite queue, one PUT per
object carrying x-amz-checksum-sha256 (server-verified), If-None-Match, and a HEAD confirming the
stored checksum; the local file is deleted after confirmation. Baseline: minio's put_object of each
file, nothing else. Hashing at seal time is the recorder's cost, not the uploader's, and is shown apart.

Prints MB/s of each and the ratio ours / baseline (goal: >= 0.90).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from minio import Minio

from archive.formats.hashing import sha256_file
from archive.spool.upload_queue import UploadQueue
from archive.spool.uploader import Uploader
from archive.store.embedded import EmbeddedStore
from archive.store.object_store import ObjectStore


def _make_segments(directory: Path, total_bytes: int, segment_bytes: int) -> list[Path]:
    directory.mkdir(parents=True)
    files = []
    for number in range(1, total_bytes // segment_bytes + 1):
        path = directory / f"{number:08d}.m4s"
        path.write_bytes(os.urandom(segment_bytes))
        files.append(path)
    return files


def _baseline(store: EmbeddedStore, files: list[Path]) -> float:
    config = store.config
    client = Minio(
        config.endpoint.split("://")[1],
        access_key=config.access_key,
        secret_key=config.secret_key,
        secure=False,
    )
    started = time.perf_counter()
    for path in files:
        client.fput_object(config.bucket, f"baseline/{path.name}", str(path))
    return time.perf_counter() - started


def _baseline_with_checksum(store: EmbeddedStore, files: list[Path]) -> float:
    """Plain SDK calls that also send x-amz-checksum-sha256 (so the server verifies, as ours does)."""
    config = store.config
    client = Minio(
        config.endpoint.split("://")[1],
        access_key=config.access_key,
        secret_key=config.secret_key,
        secure=False,
    )
    started = time.perf_counter()
    for path in files:
        data = path.read_bytes()
        digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
        client.put_object(
            config.bucket,
            f"baseline-checksum/{path.name}",
            io.BytesIO(data),
            len(data),
            metadata={"x-amz-checksum-sha256": digest},
            part_size=max(5 * 1024 * 1024, len(data) + 1),
        )
    return time.perf_counter() - started


def _ours(store: EmbeddedStore, files: list[Path], spool: Path) -> tuple[float, float]:
    started = time.perf_counter()
    digests = [sha256_file(path) for path in files]
    hashing = time.perf_counter() - started
    with UploadQueue(spool / "queue.sqlite") as queue:
        started = time.perf_counter()
        for path, digest in zip(files, digests, strict=True):
            queue.enqueue(
                object_key=f"ours/{path.name}",
                local_path=path,
                sha256=digest,
                size=path.stat().st_size,
                recording_id="bench",
                delete_after_upload=True,
            )
        if not Uploader(queue, ObjectStore(store.config)).drain(timeout_seconds=3600):
            sys.exit("the queue did not drain")
        return time.perf_counter() - started, hashing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=1000)
    parser.add_argument("--segment-kib", type=int, default=1536, help="1.5 MiB ~ 6 s of 720p at 2 Mbit/s")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as scratch:
        work = Path(scratch)
        total = args.megabytes * 1_000_000
        with EmbeddedStore(work / "store", port=18433) as store:
            ObjectStore(store.config).ensure_bucket()
            files = _make_segments(work / "baseline-files", total, args.segment_kib * 1024)
            copies = work / "spool"
            shutil.copytree(work / "baseline-files", copies / "segments")
            ours_files = sorted((copies / "segments").glob("*.m4s"))
            size_mb = sum(p.stat().st_size for p in files) / 1e6
            baseline_seconds = _baseline(store, files)
            checksum_seconds = _baseline_with_checksum(store, files)
            ours_seconds, hashing_seconds = _ours(store, ours_files, copies)
    baseline_rate = size_mb / baseline_seconds
    ours_rate = size_mb / ours_seconds
    print(
        f"archive upload, {size_mb:.0f} MB in {len(files)} segments of {args.segment_kib} KiB,"
        " SeaweedFS on loopback"
    )
    print(f"  courtrec queue + verified PUT: {ours_rate:7.1f} MB/s ({ours_seconds:.1f} s)")
    print(f"  plain minio put_object:        {baseline_rate:7.1f} MB/s ({baseline_seconds:.1f} s)")
    print(f"  ratio ours/baseline:           {ours_rate / baseline_rate:7.3f}  (goal >= 0.90)")
    checksum_rate = size_mb / checksum_seconds
    print(
        f"  plain put_object + x-amz-checksum-sha256 (server verifies, no queue): {checksum_rate:7.1f} MB/s"
    )
    print(f"  ratio ours/that:               {ours_rate / checksum_rate:7.3f}")
    print(f"  (sealing hash, done by the recorder: {size_mb / hashing_seconds:.0f} MB/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
