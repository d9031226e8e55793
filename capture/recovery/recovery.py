"""Picking a recording up again after the recorder stopped (cleanly or not).

Reads what the journal says happened, salvages torn segments, journals segments that were sealed
but not yet journaled when the process died, declares the gap, and re-queues anything journaled
whose upload may not have been queued.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from archive.formats import sha256_file
from archive.journal import (
    CheckpointEvent,
    ClockStepEvent,
    GapEvent,
    InitEvent,
    JournalLine,
    OriginEvent,
    SegmentEvent,
    StartEvent,
    StopEvent,
    list_chunks,
    parse_event,
)
from archive.spool import RecordingSpool
from capture.recording.recording_log import RecordingLog
from capture.recovery.leftovers import StreamHistory, journal_leftovers
from capture.recovery.restart_clock import load_mark, restart_time
from timebase import Clock

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class RecordingHistory:
    """What the journal says about the recording so far."""

    runs: int = 0
    clean_stop: bool = True
    last_at: datetime | None = None
    streams: dict[str, StreamHistory] = field(default_factory=dict)

    @classmethod
    def from_lines(cls, lines: list[JournalLine]) -> RecordingHistory:
        """Fold the journal's lines, in order, into what they say. Raises JournalError for a line
        that is not a valid event."""
        history = cls()
        for line in lines:
            event = parse_event(line)
            history.last_at = datetime.fromisoformat(line.at)
            if isinstance(event, StartEvent):
                history.runs += 1
                history.clean_stop = False
                for stream in history.streams.values():
                    stream.origin_utc = None  # a run without an origin line wrote no media
            elif isinstance(event, StopEvent):
                history.clean_stop = True
            elif isinstance(event, InitEvent):
                stream = history.streams.setdefault(event.stream, StreamHistory())
                stream.init = (event.object, event.sha256)
            elif isinstance(event, SegmentEvent):
                stream = history.streams.setdefault(event.stream, StreamHistory())
                stream.last_segment = max(stream.last_segment, event.segment)
                if event.t_end_utc:
                    stream.covered_until(datetime.fromisoformat(event.t_end_utc))
            elif isinstance(event, GapEvent):
                history.streams.setdefault(event.stream, StreamHistory()).covered_until(
                    datetime.fromisoformat(event.end)
                )
            elif isinstance(event, OriginEvent):
                stream = history.streams.setdefault(event.stream, StreamHistory())
                stream.origin_utc = datetime.fromisoformat(event.t_origin_utc)
        return history


def recover_run(
    spool: RecordingSpool, log: RecordingLog, history: RecordingHistory, clock: Clock, boot_id: str | None
) -> dict[str, int]:
    """Salvage what the last run left and journal its gap, timed on the monotonic clock when this
    boot left a clock mark (a wall-clock step since then is journaled as a clock step), else on
    the wall clock; return the next segment number per stream."""
    restart = restart_time(load_mark(spool.root), clock, boot_id)
    if history.runs and restart.step_seconds:
        log.journal.append(
            ClockStepEvent(
                step_seconds=restart.step_seconds,
                expected=restart.at.isoformat(),
                observed=(restart.at + timedelta(seconds=restart.step_seconds)).isoformat(),
                reason="the wall clock stepped while the recorder was down (by this boot's monotonic clock)",
            )
        )
    return recover_streams(spool, log, history, restart.at, measured_by_wall=restart.from_wall)


def recover_streams(
    spool: RecordingSpool,
    log: RecordingLog,
    history: RecordingHistory,
    now: datetime,
    *,
    measured_by_wall: bool = False,
) -> dict[str, int]:
    """Salvage and journal what the last run left on disk; return the next segment number per stream.

    ``now`` is the restart on the last run's timeline (restart_clock.restart_time);
    ``measured_by_wall`` says the gap's length could only come from the wall clock (after a
    reboot), which its reason then says."""
    next_seq: dict[str, int] = {}
    for stream, past in history.streams.items():
        directory = spool.stream_dir(stream)
        init_bytes = _read_init(spool, past)
        journal_leftovers(log, stream, directory, init_bytes, past)
        next_seq[stream] = past.last_segment + 1
        if not history.clean_stop:
            start = past.last_end_utc or history.last_at or now
            reason = "recorder restarted after an unclean stop"
            if measured_by_wall:
                reason += " (length from the wall clock: the machine restarted or left no clock mark)"
            log.gap(stream, start, now, reason)
    return next_seq


def requeue_journaled(spool: RecordingSpool, log: RecordingLog, lines: list[JournalLine]) -> None:
    """Make sure every journaled object still on the spool, and every closed chunk, is queued."""
    events = [parse_event(line) for line in lines]
    for event in events:
        if not isinstance(event, InitEvent | SegmentEvent):
            continue
        path = spool.root / event.object
        if path.exists():
            log.enqueue(path, event.sha256, event.size, delete_after_upload=isinstance(event, SegmentEvent))
    chunks = list_chunks(spool.journal_dir)
    closed = chunks if events and isinstance(events[-1], CheckpointEvent) else chunks[:-1]
    for chunk in closed:
        log.enqueue(chunk, sha256_file(chunk), chunk.stat().st_size, delete_after_upload=False)


def _read_init(spool: RecordingSpool, past: StreamHistory) -> bytes | None:
    if past.init is None:
        return None
    path = spool.root / past.init[0]
    return path.read_bytes() if path.exists() else None
