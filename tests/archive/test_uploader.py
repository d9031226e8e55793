"""The uploader against a real store: missing bucket, conflicts, local corruption, a lying store."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import cast

import pytest

from archive.errors import ChecksumMismatchError, StoreUnavailableError
from archive.spool.requeue import requeue_failed_entries
from archive.spool.upload_queue import UploadItem, UploadQueue, UploadState
from archive.spool.uploader import Uploader
from archive.store import ObjectStore, StoreConfig
from tests.archive.upload_kit import enqueue_segment, sealed_file
from timebase import ManualClock
from timebase.backoff import Backoff

FAST = Backoff(first_seconds=0.01, cap_seconds=0.05)


@pytest.mark.integration
def test_missing_bucket_is_created_and_the_upload_retried(tmp_path: Path, store_config: StoreConfig) -> None:
    store = ObjectStore(dataclasses.replace(store_config, bucket=f"late-{uuid.uuid4().hex[:12]}"))
    path, digest = sealed_file(tmp_path, "a.m4s", b"segment bytes")
    with UploadQueue(tmp_path / "q.sqlite") as queue:
        enqueue_segment(queue, "rec/a.m4s", path, digest)
        assert Uploader(queue, store, backoff=FAST).drain(timeout_seconds=20)
    assert store.sha256_of("rec/a.m4s") == digest
    assert not path.exists()  # deleted only after the store confirmed it
    for stored in list(store.list_objects("")):
        store.delete(stored.key)
    store.delete_bucket()


@pytest.mark.integration
def test_conflicting_key_is_an_alarm_and_the_local_file_stays(
    tmp_path: Path, object_store: ObjectStore
) -> None:
    object_store.put_bytes("rec/a.m4s", b"other", hashlib.sha256(b"other").hexdigest())
    path, digest = sealed_file(tmp_path, "a.m4s", b"ours")
    alarms: list[str] = []
    with UploadQueue(tmp_path / "q.sqlite") as queue:
        enqueue_segment(queue, "rec/a.m4s", path, digest)
        uploader = Uploader(
            queue, object_store, backoff=FAST, on_integrity_alarm=lambda _i, m: alarms.append(m)
        )
        assert uploader.drain(timeout_seconds=10)
        assert queue.counts()[UploadState.CONFLICT] == 1
    assert path.exists() and object_store.read_bytes("rec/a.m4s") == b"other"
    assert alarms and "not overwritten" in alarms[0]


@pytest.mark.integration
def test_locally_corrupted_file_is_not_uploaded(tmp_path: Path, object_store: ObjectStore) -> None:
    path, digest = sealed_file(tmp_path, "a.m4s", b"sealed bytes")
    path.write_bytes(b"sealed bytez")
    with UploadQueue(tmp_path / "q.sqlite") as queue:
        enqueue_segment(queue, "rec/a.m4s", path, digest)
        assert Uploader(queue, object_store, backoff=FAST).drain(timeout_seconds=10)
        assert queue.counts()[UploadState.CORRUPT] == 1
    assert object_store.stat("rec/a.m4s") is None and path.exists()


class _StoreThatAlwaysMismatches:
    """A store whose every PUT comes back with another checksum (what a corrupting proxy would do)."""

    def __init__(self) -> None:
        self.calls = 0

    def put_file(self, key: str, path: Path, sha256_hex: str) -> None:
        self.calls += 1
        raise ChecksumMismatchError(f"{key}: server reports another sha256")


def test_mismatches_are_retried_for_the_whole_window_then_wait_for_a_person(tmp_path: Path) -> None:
    clock = ManualClock()
    path, digest = sealed_file(tmp_path, "a.m4s", b"sealed bytes")
    store = _StoreThatAlwaysMismatches()
    integrity: list[UploadItem] = []
    mismatch: list[tuple[str, bool]] = []
    with UploadQueue(tmp_path / "q.sqlite", clock=clock) as queue:
        enqueue_segment(queue, "rec/a.m4s", path, digest)
        uploader = Uploader(
            queue,
            cast(ObjectStore, store),
            mismatch_backoff=Backoff(first_seconds=60, cap_seconds=600),
            mismatch_window_seconds=3 * 3600,
            on_integrity_alarm=lambda item, _m: integrity.append(item),
            on_mismatch_alarm=lambda item, active, _m: mismatch.append((item.object_key, active)),
        )
        while queue.pending_count():
            assert uploader.upload_next()
            retry_at = queue.earliest_retry()
            if retry_at is not None:
                clock.advance(retry_at - queue.now() + 0.01)
        # far more than five tries, spread over the window, one alarm raised at the first mismatch
        assert store.calls > 15
        assert clock.monotonic() >= 3 * 3600
        assert mismatch == [("rec/a.m4s", True)]
        assert queue.counts()[UploadState.CORRUPT] == 1 and len(integrity) == 1
        ((item, state, error),) = queue.failed()
        assert state is UploadState.CORRUPT
        assert item.mismatch_attempts == store.calls - 1 and item.outage_attempts == 0
        assert "--retry-failed" in error
    assert path.exists()


class _StoreThatMismatchesThenHeals:
    """Unreachable for its first ``outages`` PUTs, then mismatching for ``mismatches``, then fine."""

    def __init__(self, outages: int, mismatches: int) -> None:
        self.outages = outages
        self.mismatches = mismatches
        self.calls = 0
        self.stored: list[str] = []

    def put_file(self, key: str, path: Path, sha256_hex: str) -> None:
        self.calls += 1
        if self.calls <= self.outages:
            raise StoreUnavailableError("connection refused")
        if self.calls <= self.outages + self.mismatches:
            raise ChecksumMismatchError(f"{key}: server reports another sha256")
        self.stored.append(key)


def test_outages_and_mismatches_are_counted_apart_and_the_alarm_clears(tmp_path: Path) -> None:
    clock = ManualClock()
    path, digest = sealed_file(tmp_path, "a.m4s", b"sealed bytes")
    store = _StoreThatMismatchesThenHeals(outages=8, mismatches=7)
    mismatch: list[bool] = []
    with UploadQueue(tmp_path / "q.sqlite", clock=clock) as queue:
        enqueue_segment(queue, "rec/a.m4s", path, digest)
        uploader = Uploader(
            queue,
            cast(ObjectStore, store),
            backoff=FAST,
            mismatch_backoff=FAST,
            on_mismatch_alarm=lambda _item, active, _m: mismatch.append(active),
        )
        for _ in range(8 + 6):
            assert uploader.upload_next()
            (item,) = queue.due(limit=1, now=queue.now() + 10)
            clock.advance(10)
        assert (item.outage_attempts, item.mismatch_attempts) == (8, 6)
        assert uploader.upload_next()  # the 7th mismatch: still retried (the old limit was 5 in all)
        clock.advance(10)
        assert uploader.upload_next()
        assert store.stored == ["rec/a.m4s"] and queue.counts()[UploadState.DONE] == 1
    assert mismatch == [True, False]


def test_retry_failed_requeues_conflict_and_corrupt_entries(tmp_path: Path) -> None:
    with UploadQueue(tmp_path / "q.sqlite") as queue:
        for name in ("a", "b", "c"):
            path, digest = sealed_file(tmp_path, name, name.encode())
            enqueue_segment(queue, f"rec/{name}.m4s", path, digest)
        a, b, _c = queue.due(limit=3)
        queue.postpone_mismatch(a.id, delay_seconds=0, error="mismatch")
        queue.mark_failed(a.id, UploadState.CORRUPT, "the store saw other bytes")
        queue.mark_failed(b.id, UploadState.CONFLICT, "the key holds other bytes")
        out = io.StringIO()
        requeued = requeue_failed_entries(queue, out=out)
        assert sorted(item.object_key for item in requeued) == ["rec/a.m4s", "rec/b.m4s"]
        assert queue.counts()[UploadState.PENDING] == 3
        (again,) = [item for item in queue.due(limit=3) if item.id == a.id]
        assert again.mismatch_attempts == 0 and again.first_mismatch_at is None
    printed = out.getvalue()
    assert "requeued corrupt rec/a.m4s" in printed and "the store saw other bytes" in printed
    assert "requeued conflict rec/b.m4s" in printed and "2 failed uploads requeued" in printed


class _SlowStore:
    """Records when each PUT starts and ends. Segment 1's PUT lasts until segment 2's has started, and
    segment 2's until segment 3's has ended (a slow link), so that a journal chunk wrongly let through
    would start while segment 2 is still in flight."""

    def __init__(self, keys: list[str]) -> None:
        self.events: list[tuple[str, str]] = []
        self._keys = keys
        self._changed = threading.Condition()

    def put_file(self, key: str, path: Path, sha256_hex: str) -> None:
        with self._changed:
            self.events.append(("start", key))
            self._changed.notify_all()
            waits_for = {self._keys[0]: ("start", self._keys[1]), self._keys[1]: ("end", self._keys[3])}
            if key in waits_for:  # bounded: when the awaited PUT never comes the assertions say why
                self._changed.wait_for(lambda: waits_for[key] in self.events, timeout=5)
            self.events.append(("end", key))
            self._changed.notify_all()


def test_two_uploads_in_flight_but_a_journal_chunk_waits_for_what_it_names(tmp_path: Path) -> None:
    keys = [
        "rec/cam/00000001.m4s",
        "rec/cam/00000002.m4s",
        "rec/journal/000001.jsonl",
        "rec/cam/00000003.m4s",
    ]
    store = _SlowStore(keys)
    with UploadQueue(tmp_path / "q.sqlite") as queue:
        for number, key in enumerate(keys):
            path, digest = sealed_file(tmp_path, f"f{number}", key.encode())
            enqueue_segment(queue, key, path, digest)
        assert Uploader(queue, cast(ObjectStore, store), backoff=FAST, workers=2).drain(timeout_seconds=20)
        assert queue.counts()[UploadState.DONE] == 4
    position = {event: index for index, event in enumerate(store.events)}
    # segments 1 and 2 overlap: both started before either ended
    assert position[("start", keys[1])] < position[("end", keys[0])]
    # the chunk starts only after every older entry has ended (segment 3 may go first meanwhile)
    assert position[("start", keys[2])] > max(position[("end", keys[0])], position[("end", keys[1])])


class _QueueThatCannotWriteOnce(UploadQueue):
    """A queue on a disk that is full for its first mark_done (SQLite: "database or disk is full")."""

    refusals = 1

    def mark_done(self, item_id: int) -> None:
        if self.refusals:
            self.refusals -= 1
            raise sqlite3.OperationalError("database or disk is full")
        super().mark_done(item_id)


@pytest.mark.integration
def test_a_full_disk_that_refuses_the_queue_write_still_gets_space_back(
    tmp_path: Path, object_store: ObjectStore
) -> None:
    """Once the store confirmed a segment its local copy goes first, so the spool gets space back even
    when the queue cannot record the upload; the next try finds it stored and finishes the entry."""
    path, digest = sealed_file(tmp_path, "a.m4s", b"segment bytes")
    with _QueueThatCannotWriteOnce(tmp_path / "q.sqlite") as queue:
        enqueue_segment(queue, "rec/a.m4s", path, digest)
        uploader = Uploader(queue, object_store, backoff=FAST)
        with pytest.raises(sqlite3.OperationalError):
            uploader.upload_next()
        assert not path.exists() and queue.pending_count() == 1
        assert uploader.upload_next()
        assert queue.counts()[UploadState.DONE] == 1 and queue.counts()[UploadState.CORRUPT] == 0
    assert object_store.sha256_of("rec/a.m4s") == digest


@pytest.mark.integration
def test_a_rate_cap_paces_the_backlog(tmp_path: Path, object_store: ObjectStore) -> None:
    """Live keeps its share of a weak link: 4 x 200 kB at 400 kB/s take at least ~1.5 s (the first
    starts at once), where the uncapped store on loopback takes a small fraction of that."""
    with UploadQueue(tmp_path / "q.sqlite") as queue:
        for n in range(4):
            path, digest = sealed_file(tmp_path, f"{n}.m4s", bytes([n]) * 200_000)
            enqueue_segment(queue, f"rec/rate-{uuid.uuid4().hex[:8]}-{n}.m4s", path, digest)
        began = time.monotonic()
        assert Uploader(queue, object_store, backoff=FAST, max_bytes_per_second=400_000).drain(
            timeout_seconds=30
        )
        took = time.monotonic() - began
    assert took >= 1.4, took
    assert not any(tmp_path.glob("*.m4s"))  # all confirmed and freed
