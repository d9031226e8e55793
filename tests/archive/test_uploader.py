"""The uploader against a real store: missing bucket, conflicts, local corruption, a lying store."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import uuid
from pathlib import Path
from typing import cast

import pytest

from archive.errors import ChecksumMismatchError, StoreUnavailableError
from archive.spool.upload_queue import UploadItem, UploadQueue, UploadState
from archive.spool.uploader import MAX_STORE_MISMATCHES, Uploader
from archive.store import ObjectStore, StoreConfig
from tests.waiting import wait_until
from timebase import ManualClock
from timebase.backoff import Backoff

FAST = Backoff(first_seconds=0.01, cap_seconds=0.05)


def _sealed(tmp_path: Path, name: str, data: bytes) -> tuple[Path, str]:
    path = tmp_path / name
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def _enqueue(queue: UploadQueue, key: str, path: Path, digest: str) -> None:
    queue.enqueue(
        object_key=key,
        local_path=path,
        sha256=digest,
        size=path.stat().st_size,
        recording_id="rec",
        delete_after_upload=True,
    )


@pytest.mark.integration
def test_missing_bucket_is_created_and_the_upload_retried(tmp_path: Path, store_config: StoreConfig) -> None:
    store = ObjectStore(dataclasses.replace(store_config, bucket=f"late-{uuid.uuid4().hex[:12]}"))
    path, digest = _sealed(tmp_path, "a.m4s", b"segment bytes")
    with UploadQueue(tmp_path / "q.sqlite") as queue:
        _enqueue(queue, "rec/a.m4s", path, digest)
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
    path, digest = _sealed(tmp_path, "a.m4s", b"ours")
    alarms: list[str] = []
    with UploadQueue(tmp_path / "q.sqlite") as queue:
        _enqueue(queue, "rec/a.m4s", path, digest)
        uploader = Uploader(
            queue, object_store, backoff=FAST, on_integrity_alarm=lambda _i, m: alarms.append(m)
        )
        assert uploader.drain(timeout_seconds=10)
        assert queue.counts()[UploadState.CONFLICT] == 1
    assert path.exists() and object_store.read_bytes("rec/a.m4s") == b"other"
    assert alarms and "not overwritten" in alarms[0]


@pytest.mark.integration
def test_locally_corrupted_file_is_not_uploaded(tmp_path: Path, object_store: ObjectStore) -> None:
    path, digest = _sealed(tmp_path, "a.m4s", b"sealed bytes")
    path.write_bytes(b"sealed bytez")
    with UploadQueue(tmp_path / "q.sqlite") as queue:
        _enqueue(queue, "rec/a.m4s", path, digest)
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


def test_a_store_that_keeps_mismatching_is_given_up_on(tmp_path: Path) -> None:
    path, digest = _sealed(tmp_path, "a.m4s", b"sealed bytes")
    store = _StoreThatAlwaysMismatches()
    alarms: list[UploadItem] = []
    with UploadQueue(tmp_path / "q.sqlite") as queue:
        _enqueue(queue, "rec/a.m4s", path, digest)
        uploader = Uploader(
            queue,
            cast(ObjectStore, store),
            backoff=FAST,
            on_integrity_alarm=lambda item, _m: alarms.append(item),
        )
        assert uploader.drain(timeout_seconds=10)
        assert queue.counts()[UploadState.CORRUPT] == 1
    assert store.calls == MAX_STORE_MISMATCHES
    assert len(alarms) == 1 and path.exists()


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
            path, digest = _sealed(tmp_path, f"f{number}", key.encode())
            _enqueue(queue, key, path, digest)
        assert Uploader(queue, cast(ObjectStore, store), backoff=FAST, workers=2).drain(timeout_seconds=20)
        assert queue.counts()[UploadState.DONE] == 4
    position = {event: index for index, event in enumerate(store.events)}
    # segments 1 and 2 overlap: both started before either ended
    assert position[("start", keys[1])] < position[("end", keys[0])]
    # the chunk starts only after every older entry has ended (segment 3 may go first meanwhile)
    assert position[("start", keys[2])] > max(position[("end", keys[0])], position[("end", keys[1])])


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
    path, digest = _sealed(tmp_path, "a.m4s", b"segment bytes")
    with UploadQueue(tmp_path / "q.sqlite", clock=clock) as queue:
        _enqueue(queue, "rec/a.m4s", path, digest)
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
    path, digest = _sealed(tmp_path, "a.m4s", b"segment bytes")
    with UploadQueue(tmp_path / "q.sqlite", clock=clock) as queue:
        _enqueue(queue, "rec/a.m4s", path, digest)
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
