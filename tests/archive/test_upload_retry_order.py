"""The uploader's retry order on a manual clock: outages back off as the clock says, and a journal chunk
waits for every segment it names (one waiting to retry, one not queued yet)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import cast

from archive.errors import StoreUnavailableError
from archive.spool.upload_queue import UploadQueue, UploadState
from archive.spool.uploader import Uploader
from archive.store import ObjectStore
from tests.archive.journal_builders import journal_lines, segment_event
from tests.archive.upload_kit import enqueue_segment, sealed_file
from tests.waiting import wait_until
from timebase import ManualClock
from timebase.backoff import Backoff

FAST = Backoff(first_seconds=0.01, cap_seconds=0.05)


class _StoreDownFor:
    """A store that is unreachable for its first ``failures`` PUTs, then accepts everything."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.stored: list[str] = []

    def put_file(self, key: str, path: Path, sha256_hex: str) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise StoreUnavailableError("connection refused")
        self.stored.append(key)


def test_outage_retries_follow_the_capped_backoff_on_the_clock(tmp_path: Path) -> None:
    clock = ManualClock()
    store = _StoreDownFor(failures=5)
    path, digest = sealed_file(tmp_path, "a.m4s", b"segment bytes")
    with UploadQueue(tmp_path / "q.sqlite", clock=clock) as queue:
        enqueue_segment(queue, "rec/a.m4s", path, digest)
        uploader = Uploader(
            queue, cast(ObjectStore, store), backoff=Backoff(first_seconds=10, cap_seconds=40)
        )
        for attempt in range(5):
            assert uploader.upload_next()  # fails: store down
            retry_at = queue.earliest_retry()
            assert retry_at is not None
            delay = retry_at - queue.now()
            ceiling = min(40.0, 10.0 * 2**attempt)
            assert ceiling / 2 <= delay <= ceiling
            clock.advance(delay - 0.01)
            assert not uploader.upload_next()  # not due yet: nothing is attempted early
            assert store.calls == attempt + 1
            clock.advance(0.02)  # just past it (wall time is kept to the microsecond)
        assert uploader.upload_next()
        assert store.stored == ["rec/a.m4s"] and queue.counts()[UploadState.DONE] == 1
    assert not path.exists()


def test_the_upload_thread_waits_for_the_retry_time_on_its_clock(tmp_path: Path) -> None:
    clock = ManualClock()
    store = _StoreDownFor(failures=2)
    path, digest = sealed_file(tmp_path, "a.m4s", b"segment bytes")
    with UploadQueue(tmp_path / "q.sqlite", clock=clock) as queue:
        enqueue_segment(queue, "rec/a.m4s", path, digest)
        uploader = Uploader(
            queue, cast(ObjectStore, store), backoff=Backoff(first_seconds=10, cap_seconds=20), workers=1
        )
        start = clock.monotonic()
        uploader.start()
        try:
            wait_until(lambda: store.calls == 1, 10, "the first attempt")
            retry_at = queue.earliest_retry()
            assert retry_at is not None
            # without the clock moving, the thread only waits: no retry happens however long it takes
            wait_until(lambda: clock.waiters == 1, 10, "the upload thread to wait")
            assert store.calls == 1

            def advanced_and_done() -> bool:
                clock.advance(0.5)
                return queue.pending_count() == 0

            wait_until(advanced_and_done, 20, "the upload after two retries")
        finally:
            uploader.stop()
    assert store.calls == 3 and store.stored == ["rec/a.m4s"]
    assert clock.monotonic() - start >= 5 + 10  # at least the two shortest backoffs passed


class _StoreDownForKey:
    """Refuses PUTs of one key for its first ``failures`` tries (a reset mid-body), stores the rest;
    records the order of stored keys and answers HEADs for them."""

    def __init__(self, key: str, failures: int) -> None:
        self.key = key
        self.failures = failures
        self.stored: list[str] = []

    def put_file(self, key: str, path: Path, sha256_hex: str) -> None:
        if key == self.key and self.failures:
            self.failures -= 1
            raise StoreUnavailableError("connection reset by peer")
        self.stored.append(key)

    def stat(self, key: str) -> object | None:
        return key if key in self.stored else None


def _chunk(tmp_path: Path, name: str, segments: list[int]) -> tuple[Path, str]:
    events = [segment_event("cam", n, hashlib.sha256(str(n).encode()).hexdigest()) for n in segments]
    data = b"".join(line.raw + b"\n" for line in journal_lines(events))
    return sealed_file(tmp_path, name, data)


def test_a_journal_chunk_waits_for_a_segment_that_waits_to_retry(tmp_path: Path) -> None:
    """Finding 5 of issue 11: the chunk was let through while the segment it names was not in flight
    but waiting for its retry time."""
    clock = ManualClock()
    store = _StoreDownForKey("rec/cam/00000001.m4s", failures=3)
    with UploadQueue(tmp_path / "q.sqlite", clock=clock) as queue:
        for n in (1, 2):
            path, digest = sealed_file(tmp_path, f"s{n}", str(n).encode())
            enqueue_segment(queue, f"rec/cam/{n:08d}.m4s", path, digest)
        path, digest = _chunk(tmp_path, "j1", [1, 2])
        enqueue_segment(queue, "rec/journal/000001.jsonl", path, digest)
        path, digest = sealed_file(tmp_path, "s3", b"3")
        enqueue_segment(queue, "rec/cam/00000003.m4s", path, digest)
        uploader = Uploader(queue, cast(ObjectStore, store), backoff=Backoff(first_seconds=5, cap_seconds=5))
        while queue.pending_count():
            if not uploader.upload_next():
                clock.advance(5)
    assert store.stored.index("rec/journal/000001.jsonl") > store.stored.index("rec/cam/00000001.m4s")
    assert store.stored[:2] == ["rec/cam/00000002.m4s", "rec/cam/00000003.m4s"]  # the rest went on


def test_a_chunk_naming_a_segment_not_yet_queued_waits_for_the_store(tmp_path: Path) -> None:
    """A checkpoint can close a chunk between a segment's journal line and its queue entry."""
    store = _StoreDownForKey("none", failures=0)
    with UploadQueue(tmp_path / "q.sqlite") as queue:
        path, digest = _chunk(tmp_path, "j1", [1])
        enqueue_segment(queue, "rec/journal/000001.jsonl", path, digest)
        uploader = Uploader(queue, cast(ObjectStore, store), backoff=FAST)
        assert not uploader.upload_next()  # names cam/00000001.m4s, which is nowhere yet
        seg, seg_digest = sealed_file(tmp_path, "s1", b"1")
        enqueue_segment(queue, "rec/cam/00000001.m4s", seg, seg_digest)
        assert uploader.upload_next() and uploader.upload_next()
    assert store.stored == ["rec/cam/00000001.m4s", "rec/journal/000001.jsonl"]
