"""The uploader against a real store: missing bucket, conflicts, local corruption, a lying store."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import time
import uuid
from pathlib import Path
from typing import cast

import pytest

from archive.errors import ChecksumMismatchError
from archive.spool.upload_queue import UploadItem, UploadQueue, UploadState
from archive.spool.uploader import MAX_STORE_MISMATCHES, Backoff, Uploader
from archive.store import ObjectStore, StoreConfig

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
    """Records when each PUT starts and ends; segment PUTs take a while (a slow link)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def put_file(self, key: str, path: Path, sha256_hex: str) -> None:
        with self._lock:
            self.events.append(("start", key))
        if key.endswith(".m4s"):
            time.sleep(0.8 if key.endswith("00000002.m4s") else 0.3)
        with self._lock:
            self.events.append(("end", key))


def test_two_uploads_in_flight_but_a_journal_chunk_waits_for_what_it_names(tmp_path: Path) -> None:
    store = _SlowStore()
    keys = [
        "rec/cam/00000001.m4s",
        "rec/cam/00000002.m4s",
        "rec/journal/000001.jsonl",
        "rec/cam/00000003.m4s",
    ]
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
