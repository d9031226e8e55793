"""A crash at any step of sealing or journaling never stops a stream for good.

For each named step (archive.formats.crash_points), the recorder kills itself there
(COURTREC_FAULT_CRASH_AT), is restarted, and must: record again, journal the hole as a gap with
times that overlap nothing before them, leave no stray file on the spool, and archive a recording
that `archive verify` finds intact. Salvage steps run in the restart after a kill mid-segment.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.preservation.verify import verify_recording
from archive.store.object_store import ObjectStore

from .crash_helpers import RECORDING_ID, CrashSpool, overlaps

pytestmark = pytest.mark.integration

RECORDING_STEPS = [
    "durable_write.linked@recording.json",
    "durable_write.linked@init.mp4",
    "init.written",
    "init.journaled",
    "origin.journaled",
    "seal.linked",
    "segment.sealed",
    "segment.journaled",
    "checkpoint.written",
]
SALVAGE_STEPS = ["salvage.written", "seal.linked", "salvage.sealed", "salvage.quarantined"]


def _assert_resumed_intact(spool: CrashSpool, store: ObjectStore, runs: int) -> None:
    """Record one segment more, stop cleanly: ``runs`` runs in all, each crash a journaled gap."""
    result = spool.record(2)  # one 2-s segment: enough to show the restarted run records
    assert result.returncode == 0, result.stderr[-3000:]
    events = spool.events()
    assert sum(1 for e in events if e["type"] == "start") == runs
    last_start = max(i for i, e in enumerate(events) if e["type"] == "start")
    assert any(e["type"] == "segment" for e in events[last_start:]), "the restarted run sealed nothing"
    timeline = spool.timeline()
    gaps = sum(1 for i in timeline if i.kind == "gap")
    assert gaps == runs - 1, f"{runs - 1} crashed runs but {gaps} gaps journaled"
    assert not overlaps(timeline), overlaps(timeline)
    assert not spool.leftovers(), spool.leftovers()
    report = verify_recording(store, RECORDING_ID)
    assert report.intact, report.problems


@pytest.mark.parametrize("step", RECORDING_STEPS)
def test_crash_while_recording_then_restart(step: str, tmp_path: Path, object_store: ObjectStore) -> None:
    spool = CrashSpool(tmp_path, object_store.config)
    spool.crash_at(step)
    journaled_before_crash = step != "durable_write.linked@recording.json"  # died before its start line
    _assert_resumed_intact(spool, object_store, runs=2 if journaled_before_crash else 1)


@pytest.fixture(scope="module")
def torn_at_segment_2(tmp_path_factory: pytest.TempPathFactory) -> CrashSpool:
    """A spool whose recorder was killed -9 mid-segment 2 (segment 1 sealed), made once for the
    module and put back as the kill left it before each test. No store for the killed run:
    everything it sealed stays queued on the spool, and each test's restart uploads it to the
    test's own bucket."""
    spool = CrashSpool(tmp_path_factory.mktemp("torn-at-2"), None)
    spool.kill_mid_segment(2)
    spool.keep_pristine()
    return spool


def _torn(torn: CrashSpool, store: ObjectStore) -> CrashSpool:
    """The module's torn spool as the kill left it, recording into ``store`` from now on."""
    torn.restore_pristine()
    spool = CrashSpool(torn.spool.parent, store.config)
    return spool


@pytest.mark.parametrize("step", SALVAGE_STEPS)
def test_crash_while_salvaging_then_restart(
    step: str, object_store: ObjectStore, torn_at_segment_2: CrashSpool
) -> None:
    spool = _torn(torn_at_segment_2, object_store)
    spool.crash_at(step)  # the restart dies while salvaging segment 2
    _assert_resumed_intact(spool, object_store, runs=2)
    partial = [e for e in spool.events() if e["type"] == "segment" and e["segment"] == 2]
    assert partial and partial[0]["flags"] == ["partial"], partial


def test_salvaged_first_segment_of_a_run_is_timed_from_its_own_run(
    object_store: ObjectStore, torn_at_segment_2: CrashSpool
) -> None:
    spool = _torn(torn_at_segment_2, object_store)  # run 1: segment 1 sealed, segment 2 torn
    spool.kill_mid_segment(3)  # run 2: salvages 2, then its own first segment (3) torn
    _assert_resumed_intact(spool, object_store, runs=3)
    segments = {e["segment"]: e for e in spool.events() if e["type"] == "segment"}
    assert segments[3]["flags"] == ["partial"]


def test_a_torn_segment_with_nothing_decodable_killed_after_its_quarantine_is_still_declared(
    object_store: ObjectStore, torn_at_segment_2: CrashSpool
) -> None:
    """The restart quarantines the raw bytes of a torn segment that holds no complete chunk and is
    killed before its ``repair`` line: the next start must name those bytes in the journal."""
    spool = _torn(torn_at_segment_2, object_store)
    torn = spool.stream_dir / "00000002.m4s.tmp"
    torn.write_bytes(torn.read_bytes()[:40])  # not even one complete chunk
    spool.crash_at("salvage.quarantined")
    _assert_resumed_intact(spool, object_store, runs=2)
    repairs = [e for e in spool.events() if e["type"] == "repair" and e.get("stream") == "cam"]
    assert [e["raw_kept_as"] for e in repairs] == ["cam/quarantine/00000002.m4s.raw"], repairs
    assert repairs[0]["raw_size"] == 40
