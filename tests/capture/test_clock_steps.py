"""Clock steps (issue 11, finding 10): a step of the wall clock while recording is journaled as a
``clock_step`` event; a gap is never negative; upload retries run on monotonic time. Driven by a
ManualClock whose wall clock is stepped by hand (forward and back) while monotonic time goes on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from archive.journal import ClockStepEvent, DeviceKey, GapEvent, JournalWriter, parse_event
from archive.journal.events import JournalEvent
from archive.spool import RecordingSpool, UploadQueue
from capture.recording.clock_watch import ClockWatch
from capture.recording.recording_log import RecordingLog
from tests.waiting import wait_until
from timebase import ManualClock

T0 = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[JournalWriter]:
    with JournalWriter.open(
        tmp_path / "journal", "rec-clock", DeviceKey(Ed25519PrivateKey.generate())
    ) as writer:
        yield writer


def _events(journal: JournalWriter) -> list[JournalEvent]:
    return [parse_event(line) for line in journal.history]


def test_a_wall_clock_step_while_recording_is_journaled(journal: JournalWriter) -> None:
    clock = ManualClock(T0)
    watch = ClockWatch(journal, clock, check_seconds=1.0)
    watch.start()
    try:
        clock.advance(3)
        clock.step_wall(0.4)  # below a second: not a step
        clock.advance(1)
        clock.step_wall(-120)  # set back two minutes
        wait_until(lambda: clock.waiters > 0, 5, "the watcher waits for its next check")
        clock.advance(1)
        wait_until(lambda: any(isinstance(e, ClockStepEvent) for e in _events(journal)), 5, "the step")
        clock.step_wall(30)
        clock.advance(1)
    finally:
        watch.stop()
    steps = [e for e in _events(journal) if isinstance(e, ClockStepEvent)]
    assert [round(s.step_seconds, 1) for s in steps] == [-119.6, 30.0]
    first = steps[0]
    assert datetime.fromisoformat(first.observed) == datetime.fromisoformat(first.expected) - timedelta(
        seconds=119.6
    )
    assert journal.history[-1].at == steps[-1].observed  # journaled at the (new) wall time


def test_no_step_no_event(journal: JournalWriter) -> None:
    clock = ManualClock(T0)
    watch = ClockWatch(journal, clock)
    for _ in range(5):
        clock.advance(10)
        assert watch.check() is None
    assert journal.history == []


def test_a_gap_is_never_negative_when_the_clock_went_back(journal: JournalWriter, tmp_path: Path) -> None:
    spool = RecordingSpool(tmp_path / "spool", "rec-clock")
    with UploadQueue(tmp_path / "queue.sqlite") as queue:
        log = RecordingLog(spool, journal, queue, object_prefix="recordings/x/rec-clock", run=2, streams={})
        last_end = T0 + timedelta(minutes=10)
        log.gap("cam", last_end, T0 + timedelta(minutes=9), "recorder restarted after an unclean stop")
        log.gap("cam", T0, T0 + timedelta(seconds=5), "source gave no frames")
    events = _events(journal)
    assert [type(e).__name__ for e in events] == ["ClockStepEvent", "GapEvent", "GapEvent"]
    step, back, forward = events
    assert isinstance(step, ClockStepEvent) and step.step_seconds == -60.0
    assert isinstance(back, GapEvent) and back.seconds == 0 and back.start == back.end == last_end.isoformat()
    assert "the wall clock went back" in back.reason
    assert isinstance(forward, GapEvent) and forward.seconds == 5.0


def test_upload_retries_run_on_monotonic_time(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    with UploadQueue(tmp_path / "queue.sqlite", clock=clock) as queue:
        local = tmp_path / "seg.m4s"
        local.write_bytes(b"x")
        queue.enqueue(
            object_key="k/seg.m4s",
            local_path=local,
            sha256="0" * 64,
            size=1,
            recording_id="rec-clock",
            delete_after_upload=False,
        )
        item = queue.next_due()
        assert item is not None
        queue.postpone(item.id, delay_seconds=10, error="store down")
        clock.step_wall(-3600)  # the wall clock is set back an hour: the retry must not wait for it
        clock.advance(9)
        assert queue.next_due() is None
        clock.advance(1.5)
        assert queue.next_due() is not None
        clock.step_wall(7200)  # and a step ahead does not hurry the next one
        queue.postpone(item.id, delay_seconds=10, error="store down")
        clock.advance(5)
        assert queue.next_due() is None
