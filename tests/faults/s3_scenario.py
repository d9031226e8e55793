"""A recording's uploads through the S3 fault proxy: queue segments and journal chunks as the recorder
does, let the uploader drain them through faults, and check what reached the store.

Shared by tests/faults/test_s3_faults.py (short runs) and bench/fault_s3.py (long runs).
"""

from __future__ import annotations

import collections
import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from archive.spool.upload_order import objects_named
from archive.spool.upload_queue import UploadItem, UploadQueue, UploadState
from archive.store import ObjectStore
from tests.archive.journal_builders import journal_lines, segment_event
from tests.faults.s3_fault_proxy import S3FaultProxy

PREFIX = "recordings/court-1/2026/01/01/rec-1"
RECORDING = "rec-1"


@dataclass(slots=True)
class QueuedRecording:
    """What was queued: each key with the SHA-256 it was sealed with, and what each chunk names."""

    sealed: dict[str, str] = field(default_factory=dict)
    chunk_names: dict[str, frozenset[str]] = field(default_factory=dict)


def queue_recording(
    queue: UploadQueue,
    directory: Path,
    *,
    segments: int,
    per_chunk: int,
    segment_bytes: int = 20_000,
    pace_seconds: float = 0.0,
    queued: QueuedRecording | None = None,
) -> QueuedRecording:
    """Queue ``segments`` media segments of stream ``cam`` and, after every ``per_chunk`` of them, a
    journal chunk naming them (as the recorder's checkpoints close chunks between segments), one
    segment every ``pace_seconds`` (0: all at once), recording into ``queued`` when given."""
    directory.mkdir(parents=True, exist_ok=True)
    queued = QueuedRecording() if queued is None else queued
    pending_events = []
    chunk_number = 0
    for number in range(1, segments + 1):
        if pace_seconds:
            time.sleep(pace_seconds)
        data = os.urandom(segment_bytes)
        digest = hashlib.sha256(data).hexdigest()
        _queue_file(queue, directory, f"cam/{number:08d}.m4s", data, queued)
        pending_events.append(segment_event("cam", number, digest))
        if len(pending_events) == per_chunk or number == segments:
            chunk_number += 1
            body = b"".join(line.raw + b"\n" for line in journal_lines(pending_events, RECORDING))
            key = _queue_file(queue, directory, f"journal/{chunk_number:06d}.jsonl", body, queued)
            pending_events = []
            chunk = UploadItem(0, key, _local(directory, key), "", len(body), RECORDING, False, 0)
            queued.chunk_names[key] = objects_named(chunk)
    return queued


def _local(directory: Path, key: str) -> Path:
    return directory / key.removeprefix(f"{PREFIX}/").replace("/", "_")


def _queue_file(
    queue: UploadQueue, directory: Path, relative: str, data: bytes, queued: QueuedRecording
) -> str:
    path = _local(directory, f"{PREFIX}/{relative}")
    path.write_bytes(data)
    key = f"{PREFIX}/{relative}"
    digest = hashlib.sha256(data).hexdigest()
    queue.enqueue(
        object_key=key,
        local_path=path,
        sha256=digest,
        size=len(data),
        recording_id=RECORDING,
        delete_after_upload=relative.endswith(".m4s"),
    )
    queued.sealed[key] = digest
    return key


@dataclass(frozen=True, slots=True)
class Outcome:
    """What reached the store, as the proxy and the store report it."""

    lost: list[str]  # queued, not in the store with its sealed hash
    duplicated: list[str]  # answered 200 to more than one PUT
    chunks_before_segments: list[str]  # "chunk < segment it names" for each violation of the order
    failed_entries: list[str]  # entries left conflict/corrupt

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.chunks_before_segments or self.failed_entries)

    def line(self) -> str:
        return (
            f"lost {len(self.lost)}, duplicated {len(self.duplicated)}, chunks stored before a segment"
            f" they name {len(self.chunks_before_segments)}, left failed {len(self.failed_entries)}"
        )


def outcome(queued: QueuedRecording, proxy: S3FaultProxy, store: ObjectStore, queue: UploadQueue) -> Outcome:
    """Compare what was queued with the store's contents and the proxy's log of stored PUTs."""
    order = proxy.stored_in_order()
    stored_at: dict[str, float] = {}
    for at, key in order:
        stored_at.setdefault(key, at)
    counts = collections.Counter(key for _at, key in order)
    lost = []
    for key, digest in queued.sealed.items():
        found = store.stat(key)
        if found is None or found.sha256 != digest:
            lost.append(key)
    early = [
        f"{chunk} < {named}"
        for chunk, names in queued.chunk_names.items()
        for named in sorted(names)
        if chunk in stored_at and stored_at[chunk] < stored_at.get(named, float("inf"))
    ]
    failed = [f"{state} {item.object_key}: {error}" for item, state, error in queue.failed()]
    return Outcome(
        lost=lost,
        duplicated=sorted(key for key, count in counts.items() if count > 1),
        chunks_before_segments=early,
        failed_entries=failed,
    )


def unfinished(queue: UploadQueue) -> int:
    """Entries not yet done (pending or failed)."""
    counts = queue.counts()
    return sum(count for state, count in counts.items() if state is not UploadState.DONE)


__all__ = ["Outcome", "QueuedRecording", "UploadItem", "outcome", "queue_recording", "unfinished"]
