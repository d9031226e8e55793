"""Picking a recording up again after the recorder stopped (cleanly or not).

Reads what the journal says happened, salvages torn segments, journals segments that were sealed
but not yet journaled when the process died, declares the gap, and re-queues anything journaled
whose upload may not have been queued.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from archive.formats import sha256_file
from archive.journal import EventType, JournalLine, list_chunks
from archive.spool import RecordingSpool
from capture.leftovers import StreamHistory, journal_leftovers
from capture.recording_log import RecordingLog

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
        history = cls()
        for line in lines:
            fields = line.fields
            history.last_at = datetime.fromisoformat(str(fields["at"]))
            if line.type == EventType.START:
                history.runs += 1
                history.clean_stop = False
            elif line.type == EventType.STOP:
                history.clean_stop = True
            elif line.type in (EventType.INIT, EventType.SEGMENT):
                stream = history.streams.setdefault(str(fields["stream"]), StreamHistory())
                if line.type == EventType.INIT:
                    stream.init = (str(fields["object"]), str(fields["sha256"]))
                else:
                    stream.last_segment = max(stream.last_segment, int(fields["segment"]))
                    if fields.get("t_end_utc"):
                        stream.last_end_utc = datetime.fromisoformat(str(fields["t_end_utc"]))
        return history


def recover_streams(
    spool: RecordingSpool, log: RecordingLog, history: RecordingHistory, now: datetime
) -> dict[str, int]:
    """Salvage and journal what the last run left on disk; return the next segment number per stream."""
    next_seq: dict[str, int] = {}
    for stream, past in history.streams.items():
        directory = spool.stream_dir(stream)
        init_bytes = _read_init(spool, past)
        journal_leftovers(log, stream, directory, init_bytes, past)
        next_seq[stream] = past.last_segment + 1
        if not history.clean_stop:
            start = past.last_end_utc or history.last_at or now
            log.gap(stream, start, now, "recorder restarted after an unclean stop")
    return next_seq


def requeue_journaled(spool: RecordingSpool, log: RecordingLog, lines: list[JournalLine]) -> None:
    """Make sure every journaled object still on the spool, and every closed chunk, is queued."""
    for line in lines:
        if line.type not in (EventType.INIT, EventType.SEGMENT):
            continue
        path = spool.root / str(line.fields["object"])
        if path.exists():
            log.enqueue(
                path,
                str(line.fields["sha256"]),
                int(line.fields["size"]),
                delete_after_upload=line.type == EventType.SEGMENT,
            )
    chunks = list_chunks(spool.journal_dir)
    closed = chunks if lines and lines[-1].type == EventType.CHECKPOINT else chunks[:-1]
    for chunk in closed:
        log.enqueue(chunk, sha256_file(chunk), chunk.stat().st_size, delete_after_upload=False)


def _read_init(spool: RecordingSpool, past: StreamHistory) -> bytes | None:
    if past.init is None:
        return None
    path = spool.root / past.init[0]
    return path.read_bytes() if path.exists() else None
