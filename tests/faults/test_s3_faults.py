"""Uploads through a fault proxy in front of the real SeaweedFS test server (issue 11, findings 4, 5).

Short runs: a few seconds of each fault. bench/fault_s3.py runs the long versions.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.cli import main as archive_main
from archive.spool.layout import queue_path
from archive.spool.upload_queue import UploadQueue, UploadState
from archive.spool.uploader import Uploader
from archive.store import ObjectStore
from tests.capture.conftest import store_env
from tests.faults.in_process import run_main
from tests.faults.s3_fault_proxy import Fault, FaultRule, S3FaultProxy
from tests.faults.s3_scenario import PREFIX, outcome, queue_recording, unfinished
from tests.waiting import wait_until
from timebase.backoff import Backoff

pytestmark = pytest.mark.integration

FAST = Backoff(first_seconds=0.05, cap_seconds=0.3)
SEGMENT_PUT = r"/cam/\d+\.m4s$"


@pytest.fixture
def proxy(object_store: ObjectStore) -> Iterator[S3FaultProxy]:
    port = int(object_store.config.endpoint.rsplit(":", 1)[1])
    with S3FaultProxy(port) as started:
        yield started


def _through(proxy: S3FaultProxy, store: ObjectStore, *, timeout_seconds: float = 10.0) -> ObjectStore:
    return ObjectStore(
        dataclasses.replace(store.config, endpoint=proxy.endpoint), timeout_seconds=timeout_seconds
    )


def test_corrupted_bodies_are_retried_until_the_link_heals(
    tmp_path: Path, object_store: ObjectStore, proxy: S3FaultProxy
) -> None:
    """Finding 4: a link that corrupts every PUT body for a while (the run that marked 15 objects
    corrupt for good after 5 mismatches in ~8 s) ends with every object stored once, none corrupt."""
    alarms: list[tuple[str, bool]] = []
    corrupt = proxy.add(FaultRule(Fault.CORRUPT, methods=frozenset({"PUT"}), path=r"\.(m4s|jsonl)$"))
    with UploadQueue(tmp_path / "q.sqlite") as queue:
        queued = queue_recording(queue, tmp_path / "spool", segments=8, per_chunk=3)
        uploader = Uploader(
            queue,
            _through(proxy, object_store),
            backoff=FAST,
            mismatch_backoff=Backoff(first_seconds=0.2, cap_seconds=1.0),
            on_mismatch_alarm=lambda item, active, _m: alarms.append((item.object_key, active)),
        )
        uploader.start()
        try:
            # more mismatches than the old limit of five per object, over several seconds
            wait_until(lambda: corrupt.hits >= 30, 30, "30 corrupted PUTs")
            assert queue.counts()[UploadState.CORRUPT] == 0
            proxy.heal()
            wait_until(lambda: unfinished(queue) == 0, 30, "every upload to finish")
        finally:
            uploader.stop()
        result = outcome(queued, proxy, object_store, queue)
    assert result.clean, result
    raised = {key for key, active in alarms if active}
    cleared = {key for key, active in alarms if not active}
    assert raised and raised == cleared  # an alarm while it lasted, cleared once stored


def test_retry_failed_requeues_an_old_corrupt_entry(tmp_path: Path, object_store: ObjectStore) -> None:
    """An entry an older agent gave up on (``corrupt``) goes up with ``archive upload --retry-failed``."""
    spool = tmp_path / "spool"
    data = b"segment given up on"
    path = spool / "00000001.m4s"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    key = f"{PREFIX}/cam/00000001.m4s"
    with UploadQueue(queue_path(spool)) as queue:
        queue.enqueue(
            object_key=key,
            local_path=path,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            recording_id="rec-1",
            delete_after_upload=True,
        )
        (item,) = queue.due(limit=1)
        queue.mark_failed(item.id, UploadState.CORRUPT, "the store rejected it 5 times; stopped retrying")
    # `archive upload` in this process (tests/faults/in_process): what it does with the queue is tested
    command = ["archive", "upload", "--spool", str(spool), "--timeout", "30"]
    plain = run_main(archive_main, command, store_env(object_store.config))
    assert object_store.stat(key) is None and "corrupt=1" in plain.stdout  # without the flag: left alone
    done = run_main(archive_main, [*command, "--retry-failed"], store_env(object_store.config))
    assert done.returncode == 0, done.stderr
    assert f"requeued corrupt {key}" in done.stdout and "stopped retrying" in done.stdout
    assert "done=1" in done.stdout and "corrupt=0" in done.stdout
    stored = object_store.stat(key)
    assert stored is not None and stored.sha256 == hashlib.sha256(data).hexdigest()
    assert not path.exists()  # deleted only after the store confirmed it


FAULTS = {
    "reset": FaultRule(Fault.RESET, methods=frozenset({"PUT"}), path=SEGMENT_PUT, count=12),
    "drop_mid_body": FaultRule(Fault.DROP_MID_BODY, methods=frozenset({"PUT"}), path=SEGMENT_PUT, count=12),
    "stall": FaultRule(Fault.STALL, methods=frozenset({"PUT"}), path=SEGMENT_PUT, count=3, stall_seconds=3),
    "slow": FaultRule(Fault.SLOW, methods=frozenset({"PUT"}), path=SEGMENT_PUT, bytes_per_second=200_000),
    "outage": FaultRule(Fault.OUTAGE, count=25),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_journal_chunks_are_stored_after_the_segments_they_name(
    tmp_path: Path, object_store: ObjectStore, proxy: S3FaultProxy, fault: str
) -> None:
    """Finding 5: under faults on segment PUTs, the order of successful PUTs (the proxy's log) never
    has a journal chunk before a segment it names; nothing is lost or stored twice."""
    rule = proxy.add(dataclasses.replace(FAULTS[fault]))
    with UploadQueue(tmp_path / "q.sqlite") as queue:
        queued = queue_recording(queue, tmp_path / "spool", segments=9, per_chunk=2)
        uploader = Uploader(queue, _through(proxy, object_store, timeout_seconds=1.5), backoff=FAST)
        assert uploader.drain(timeout_seconds=60), queue.counts()
        result = outcome(queued, proxy, object_store, queue)
    assert rule.hits > 0
    assert result.clean, result
