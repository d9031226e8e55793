"""A full spool (issue 11, finding 3): the agent records on a small tmpfs that a ballast file fills.

It must stay alive, raise the CRITICAL disk_full alarm through a path that needs no disk (here: the
portal heartbeat, to a tiny local HTTP listener, and the console), resume by itself when the ballast
goes, journal the hole with its real start and end, and leave a recording that verifies. The
headroom alarm (disk_low) comes hours of recording ahead of a full disk, from the recent write rate.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from archive.cli import main as archive_main
from archive.formats import append_durably
from archive.store import ObjectStore
from capture.live import LiveTarget, _reporter
from capture.recording.recorder import Recorder, RecordingPlan
from capture.recording.recording_log import RecordingLog
from capture.recording.stream.stream_pipeline import StreamPipeline
from capture.recording.stream.stream_settings import StreamSettings
from capture.space.spool_space import SpaceCondition, SpoolSpace
from devices import parse_source_spec
from streaming import MAX_ALARM_CHARS, RecordingState
from streaming.telemetry import parse_report
from tests.capture.conftest import SMALL_VIDEO, journal_events, store_env
from tests.faults.full_disk_kit import Heartbeats, fill, mount_tmpfs, start_agent, stop
from tests.faults.in_process import run_main
from tests.waiting import wait_until
from timebase import ManualClock


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 24 MB tmpfs of the test's own (unmounted at teardown)."""
    mount = tmp_path / "small-disk"
    mount_tmpfs(mount, 24)
    try:
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


@pytest.fixture
def heartbeats() -> Iterator[Heartbeats]:
    listener = Heartbeats()
    yield listener
    listener.close()


def _segments(events: list[dict[str, object]]) -> list[dict[str, object]]:
    return [e for e in events if e["type"] == "segment"]


@pytest.mark.integration
def test_a_full_spool_alarms_waits_resumes_and_journals_the_gap(
    small_disk: Path, heartbeats: Heartbeats, object_store: ObjectStore
) -> None:
    spool = small_disk / "spool"
    recording = "rec-disk-full"
    agent = start_agent(spool, recording, heartbeats.url)
    try:
        wait_until(lambda: len(_segments(journal_events(spool, recording))) >= 2, 60, "two sealed segments")
        filled_at = datetime.now(UTC)
        fill(small_disk / "ballast")
        wait_until(
            lambda: any(
                SpaceCondition.DISK_FULL in line for alarms in heartbeats.alarms() for line in alarms
            ),
            30,
            "the disk_full alarm in a portal heartbeat",
        )
        assert agent.poll() is None, "the agent died on the full disk"
        before = len(_segments(journal_events(spool, recording)))
        time.sleep(0.5)  # the disk stays full a while longer (the hole began when it filled)
        assert agent.poll() is None
        freed_at = datetime.now(UTC)
        (small_disk / "ballast").unlink()

        def resumed() -> bool:
            events = journal_events(spool, recording)
            gaps = [e for e in events if e["type"] == "gap"]
            return bool(gaps) and len(_segments(events)) >= before + 3

        wait_until(resumed, 60, "the gap to be journaled and three more segments")
        wait_until(
            lambda: not any(SpaceCondition.DISK_FULL in line for line in heartbeats.alarms()[-1]),
            20,
            "a heartbeat with the disk_full alarm cleared",
        )
    finally:
        code, out, err = stop(agent) if agent.poll() is None else (agent.returncode, *agent.communicate())
    assert "Traceback" not in err, err[-3000:]
    assert "CRITICAL" in err and "disk_full ALARM" in err  # the console, which needs no disk
    # recovered and stopped cleanly: exit 0 (the episode is journaled, not a failure of the stream)
    assert code == 0 and "stopped" in out, (code, out, err[-2000:])

    events = journal_events(spool, recording)
    (gap,) = [e for e in events if e["type"] == "gap"]
    assert "disk full" in str(gap["reason"])
    start, end = datetime.fromisoformat(str(gap["from"])), datetime.fromisoformat(str(gap["to"]))
    # the hole starts where the recorded media ends (at most a fragment or two before the disk filled)
    # and ends when recording resumed, after the ballast went
    assert abs((start - filled_at).total_seconds()) < 4, (start, filled_at)
    assert freed_at <= end and (end - freed_at).total_seconds() < 5, (end, freed_at)
    index = events.index(gap)
    recorded_before = [e for e in _segments(events[:index]) if e.get("t_end_utc")]
    after = _segments(events[index:])
    assert recorded_before and after
    assert abs((datetime.fromisoformat(str(recorded_before[-1]["t_end_utc"])) - start).total_seconds()) < 0.01
    assert datetime.fromisoformat(str(after[0]["t_start_utc"])) >= end
    alarms = [e for e in events if e["type"] == "alarm" and e.get("condition") == "disk_full"]
    assert [a["active"] for a in alarms] == [True, False]
    assert not list(spool.rglob("*.m4s.tmp"))  # the torn segment was salvaged, nothing left behind

    # `archive upload` and `archive verify` in this process (tests/faults/in_process): the agent above
    # is the real process under test; these only read what it left
    env = store_env(object_store.config)
    uploaded = run_main(archive_main, ["archive", "upload", "--spool", str(spool), "--timeout", "60"], env)
    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
    verified = run_main(archive_main, ["archive", "verify", recording], env)
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.integration
def test_the_headroom_alarm_comes_before_the_disk_is_full(small_disk: Path, heartbeats: Heartbeats) -> None:
    """24 MB at a few tens of kB/s lasts minutes: an alarm threshold of one hour raises disk_low
    at once, long before anything fails; it is in the heartbeat and in the journal."""
    spool = small_disk / "spool"
    agent = start_agent(spool, "rec-headroom", heartbeats.url, "--disk-alarm-hours", "1")
    try:
        wait_until(
            lambda: any(SpaceCondition.DISK_LOW in line for alarms in heartbeats.alarms() for line in alarms),
            40,
            "the disk_low alarm in a portal heartbeat",
        )
    finally:
        code, _out, err = stop(agent)
    assert code == 0, err[-2000:]
    assert not any(SpaceCondition.DISK_FULL in line for alarms in heartbeats.alarms() for line in alarms)
    alarms = [e for e in journal_events(spool, "rec-headroom") if e["type"] == "alarm"]
    assert any(a["condition"] == "disk_low" and a["active"] for a in alarms)
    assert "h of recording left" in err


def test_headroom_is_judged_by_the_recent_write_rate(tmp_path: Path) -> None:
    clock = ManualClock()
    raised: list[tuple[str, bool]] = []
    space = SpoolSpace(tmp_path, alarm_hours=1.0, clock=clock)
    space.add_sink(lambda alarm: raised.append((alarm.condition, alarm.active)))
    space.check()
    assert raised == []  # nothing written yet: no rate, no estimate
    clock.advance(60)
    space.wrote(1000)  # ~17 bytes/s: the free space of any real disk lasts far more than an hour
    space.check()
    assert raised == []
    space.wrote(space.free_bytes())  # the free space again within a minute: gone in about a minute
    space.check()
    assert raised == [(SpaceCondition.DISK_LOW, True)]
    left = space.seconds_left()
    assert left is not None and left < 3600
    clock.advance(600)  # nothing more written for ten minutes: the rate window has passed
    space.wrote(1)
    space.check()
    assert raised[-1] == (SpaceCondition.DISK_LOW, False)


def test_an_append_cut_short_by_a_full_disk_leaves_no_half_line(small_disk: Path) -> None:
    journal = small_disk / "000001.jsonl"
    append_durably(journal, b'{"seq":0}\n')
    fill(small_disk / "ballast")
    line = b'{"seq":1,"pad":"' + b"x" * (64 << 10) + b'"}\n'
    with pytest.raises(OSError) as failure:
        append_durably(journal, line)
    assert failure.value.errno == errno.ENOSPC
    assert journal.read_bytes() == b'{"seq":0}\n'
    with contextlib.suppress(FileNotFoundError):
        os.remove(small_disk / "ballast")
    append_durably(journal, line)
    assert journal.read_bytes() == b'{"seq":0}\n' + line


def test_live_telemetry_carries_the_space_alarms() -> None:
    """While live, every telemetry report shows the agent degraded with its active alarm lines, and
    the server's parser accepts it."""
    target = LiveTarget(endpoint="http://127.0.0.1:1/whip", token=None, device_id="dev-1", room="court-9")
    pipeline = cast(StreamPipeline, SimpleNamespace(failure=None))
    active: list[str] = []
    report = _reporter(pipeline, target, lambda: active)
    assert report().recording is RecordingState.RECORDING and report().alarms == []
    active.append("CRITICAL disk_full ALARM: spool /spool is full (" + "x" * 1000 + ")")
    sent = parse_report(report().model_dump_json())
    assert sent is not None and sent.recording is RecordingState.DEGRADED
    assert sent.alarms[0].startswith("CRITICAL disk_full ALARM") and len(sent.alarms[0]) <= MAX_ALARM_CHARS


@pytest.mark.integration
def test_stopped_while_the_spool_is_full_the_hole_is_still_journaled(
    small_disk: Path, heartbeats: Heartbeats
) -> None:
    """Stopped before space came back: the agent still exits cleanly (no traceback, nothing deleted),
    and the hole is journaled: at the stop when the disk takes a few lines by then, else by the next
    start of the recording, as an unclean stop's gap (never a clean stop that hides it)."""
    spool = small_disk / "spool"
    recording = "rec-full-stop"
    agent = start_agent(spool, recording, heartbeats.url)
    try:
        wait_until(lambda: len(_segments(journal_events(spool, recording))) >= 2, 60, "two sealed segments")
        fill(small_disk / "ballast")
        wait_until(
            lambda: any(
                SpaceCondition.DISK_FULL in line for alarms in heartbeats.alarms() for line in alarms
            ),
            30,
            "the disk_full alarm in a portal heartbeat",
        )
    finally:
        code, out, err = stop(agent)
    assert "Traceback" not in err and code in (0, 1) and "stopped" in out, (code, out, err[-3000:])
    sealed_before = _segments(journal_events(spool, recording))
    (small_disk / "ballast").unlink()
    again = start_agent(spool, recording, heartbeats.url)
    try:
        wait_until(
            lambda: len(_segments(journal_events(spool, recording))) >= len(sealed_before) + 2,
            60,
            "recording to go on",
        )
    finally:
        stop(again)
    events = journal_events(spool, recording)
    # the hole is declared: at the stop if the disk took a few lines by then, else at the next start
    (gap,) = [e for e in events if e["type"] == "gap"]
    assert "disk full" in str(gap["reason"]) or "unclean stop" in str(gap["reason"]), gap
    recorded_before = [e for e in _segments(events[: events.index(gap)]) if e.get("t_end_utc")]
    gap_start = datetime.fromisoformat(str(gap["from"]))
    assert (
        abs((datetime.fromisoformat(str(recorded_before[-1]["t_end_utc"])) - gap_start).total_seconds())
        < 0.01
    )
    # no store here: every sealed segment is still on the spool, none deleted to make room
    assert all((spool / "recordings" / recording / str(s["object"])).exists() for s in sealed_before)


def test_the_disk_full_alarm_clears_when_space_is_back(tmp_path: Path) -> None:
    raised: list[tuple[str, bool, bool]] = []
    space = SpoolSpace(tmp_path, resume_free_bytes=0, clock=ManualClock())
    space.add_sink(lambda alarm: raised.append((alarm.condition, alarm.active, alarm.critical)))
    space.full("journal checkpoint", OSError(errno.ENOSPC, "No space left on device"))
    space.full("stream cam", OSError(errno.ENOSPC, "No space left on device"))  # one alarm per episode
    assert [a.condition for a in space.active] == [SpaceCondition.DISK_FULL]
    space.check()
    assert raised == [(SpaceCondition.DISK_FULL, True, True), (SpaceCondition.DISK_FULL, False, True)]
    assert space.active == []


@pytest.mark.integration
def test_a_journal_chunk_a_full_disk_kept_out_of_the_queue_is_queued_at_the_next_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the checkpoint thread meets the full disk (queuing the chunk it just closed fails); the
    streams never do, so nothing else re-queues: the next checkpoint must, not the next restart."""
    real_enqueue = RecordingLog.enqueue
    refused: list[Path] = []

    def enqueue(self: RecordingLog, path: Path, sha256: str, size: int, *, delete_after_upload: bool) -> None:
        if path.parent.name == "journal" and not refused:
            refused.append(path)
            raise OSError(errno.ENOSPC, "No space left on device")
        real_enqueue(self, path, sha256, size, delete_after_upload=delete_after_upload)

    monkeypatch.setattr(RecordingLog, "enqueue", enqueue)
    plan = RecordingPlan(
        recording_id="rec-chunk-waits",
        court="court-x",
        room="court-7",
        device_id="dev-1",
        spool=tmp_path / "spool",
        sources=[parse_source_spec(SMALL_VIDEO)],
        checkpoint_seconds=0.5,
        stream=StreamSettings(segment_seconds=1),
    )
    recorder = Recorder(plan, None)
    recorder.start()
    try:
        wait_until(lambda: bool(refused), 30, "the first closed chunk to be refused by the full disk")

        def queued() -> bool:
            return any(item.local_path == refused[0] for item in recorder.queue.due(limit=10_000))

        wait_until(queued, 10, "the refused chunk to be queued by a later checkpoint")
    finally:
        recorder.stop()
