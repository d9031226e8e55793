"""kill -9 the recorder mid-segment, restart it: nothing sealed is lost or archived twice."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from archive.preservation.verify import find_prefix, verify_recording
from archive.spool.upload_queue import UploadQueue, UploadState
from archive.store.object_store import ObjectStore
from tests.waiting import wait_until

from .conftest import SMALL_VIDEO, RunAgent, agent_command, journal_events, store_env

pytestmark = pytest.mark.integration


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def test_kill_9_mid_segment_then_restart(
    tmp_path: Path, run_agent: RunAgent, object_store: ObjectStore
) -> None:
    spool = tmp_path / "spool"
    stream_dir = spool / "recordings" / "rec-crash" / "cam"
    arguments = [
        "record",
        "--room",
        "court-2",
        "--recording-id",
        "rec-crash",
        "--spool",
        str(spool),
        "--segment-seconds",
        "4",
        "--source",
        f"{SMALL_VIDEO}&name=cam",
    ]
    agent = subprocess.Popen(
        agent_command(*arguments),
        env=store_env(object_store.config),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # two sealed segments, and the third holding more than its first chunk: kill mid-segment
        torn = stream_dir / "00000003.m4s.tmp"
        wait_until(lambda: _size(torn) > 0, 30, "the third segment to be started", poll=0.1)
        first_chunk = _size(torn)
        wait_until(lambda: _size(torn) > first_chunk, 30, "the third segment to grow by a chunk", poll=0.05)
    finally:
        agent.send_signal(signal.SIGKILL)
        agent.wait()
    sealed_before = [e for e in journal_events(spool, "rec-crash") if e["type"] == "segment"]
    assert [e["segment"] for e in sealed_before] == [1, 2]

    result = run_agent(*arguments, "--duration", "2")  # salvages 3, then records on
    assert result.returncode == 0, result.stderr

    events = journal_events(spool, "rec-crash")
    segments = [e for e in events if e["type"] == "segment"]
    numbers = [e["segment"] for e in segments]
    assert numbers == sorted(set(numbers)) and numbers[:3] == [1, 2, 3]
    partial = segments[2]
    assert partial["flags"] == ["partial"]
    assert (spool / "recordings" / "rec-crash" / str(partial["raw_kept_as"])).exists()
    assert [e["reason"] for e in events if e["type"] == "start"] == [
        "hearing opened",
        "restarted after an unclean stop",
    ]
    gaps = [e for e in events if e["type"] == "gap"]
    assert len(gaps) == 1 and gaps[0]["stream"] == "cam" and float(gaps[0]["seconds"]) > 0

    report = verify_recording(object_store, "rec-crash")
    assert report.intact, report.problems
    prefix = find_prefix(object_store, "rec-crash")
    archived = [o.key for o in object_store.list_objects(f"{prefix}/cam/")]
    assert len(archived) == len(set(archived)) == len(segments) + 1  # + init.mp4, each exactly once
    with UploadQueue(spool / "upload-queue.sqlite") as queue:
        counts = queue.counts("rec-crash")
    assert counts[UploadState.PENDING] == counts[UploadState.CONFLICT] == counts[UploadState.CORRUPT] == 0
