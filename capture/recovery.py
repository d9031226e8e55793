"""Picking a recording up again after the recorder stopped (cleanly or not).

Reads what the journal says happened, salvages torn segments, journals segments that were sealed
but not yet journaled when the process died, declares the gap, and re-queues anything journaled
whose upload may not have been queued.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from archive import (
    EventType,
    JournalLine,
    RecordingSpool,
    SealedFile,
    SegmentFlag,
    list_chunks,
    sha256_file,
)
from capture.recording_log import RecordingLog
from capture.salvage import MediaSpan, probe_span, salvage_torn_segment
from capture.segmenter import TEMP_SUFFIX

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class StreamHistory:
    """What the journal says about one stream so far."""

    last_segment: int = 0
    last_end_utc: datetime | None = None
    init: tuple[str, str] | None = None  # (object relative path, sha256)


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
        for temporary in sorted(directory.glob(f"*.m4s{TEMP_SUFFIX}")):
            _salvage(log, stream, temporary, init_bytes, past)
        for sealed_path in sorted(directory.glob("*.m4s")):
            seq = int(sealed_path.name.split(".")[0])
            if seq > past.last_segment:
                _journal_recovered(log, stream, sealed_path, seq=seq, init=init_bytes, past=past)
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


def _salvage(
    log: RecordingLog, stream: str, temporary: Path, init: bytes | None, past: StreamHistory
) -> None:
    result = salvage_torn_segment(temporary, init)
    extra: dict[str, object] = {"raw_size": result.raw_size, "raw_kept_as": log.spool_relative(result.raw)}
    if result.sealed is None:
        # nothing decodable: the number is reused by the next segment; the raw bytes stay declared
        logger.warning("stream %s: torn segment %d had nothing decodable", stream, result.seq)
        log.journal.append(
            EventType.REPAIR, stream=stream, reason="torn segment without a complete fragment", **extra
        )
        return
    _journal_with_span(
        log,
        stream,
        result.sealed,
        seq=result.seq,
        span=result.span,
        past=past,
        flags=[SegmentFlag.PARTIAL],
        extra=extra,
    )


def _journal_recovered(
    log: RecordingLog, stream: str, path: Path, *, seq: int, init: bytes | None, past: StreamHistory
) -> None:
    sealed = SealedFile(path=path, sha256=sha256_file(path), size=path.stat().st_size)
    span = probe_span(init, path.read_bytes()) if init else None
    _journal_with_span(
        log, stream, sealed, seq=seq, span=span, past=past, flags=[SegmentFlag.RECOVERED], extra=None
    )


def _journal_with_span(
    log: RecordingLog,
    stream: str,
    sealed: SealedFile,
    *,
    seq: int,
    span: MediaSpan | None,
    past: StreamHistory,
    flags: list[SegmentFlag],
    extra: dict[str, object] | None,
) -> None:
    start_utc = past.last_end_utc
    end_utc = None
    start_s = end_s = None
    if span is not None:
        start_s, end_s = span.start_seconds, span.end_seconds
        if start_utc is not None:
            end_utc = start_utc + timedelta(seconds=span.end_seconds - span.start_seconds)
    log.journal_segment(
        stream,
        sealed,
        segment=seq,
        start_seconds=start_s,
        end_seconds=end_s,
        start_utc=start_utc,
        end_utc=end_utc,
        flags=[str(flag) for flag in flags],
        extra=extra,
    )
    past.last_segment = max(past.last_segment, seq)
    if end_utc is not None:
        past.last_end_utc = end_utc
