"""What the uploader's tests share: a sealed file with its SHA-256, and a segment put on the queue."""

from __future__ import annotations

import hashlib
from pathlib import Path

from archive.spool.upload_queue import UploadQueue


def sealed_file(tmp_path: Path, name: str, data: bytes) -> tuple[Path, str]:
    path = tmp_path / name
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def enqueue_segment(queue: UploadQueue, key: str, path: Path, digest: str) -> None:
    queue.enqueue(
        object_key=key,
        local_path=path,
        sha256=digest,
        size=path.stat().st_size,
        recording_id="rec",
        delete_after_upload=True,
    )
