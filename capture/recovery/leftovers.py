"""What a stopped or failed stream left on the spool: torn segments and unjournaled sealed ones.

Used when a recording is picked up after the process died, and when a stream's media worker fails
and is restarted within a running recording: every byte is kept, every decodable segment journaled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from archive.formats import finish_interrupted_link, sha256_file
from archive.journal import EventType, JournalWriter, RepairEvent, SegmentEvent, SegmentFlag, parse_event
from archive.spool import SealedFile
from capture.recording.stream.segmenter import TEMP_SUFFIX
from capture.recovery.salvage import (
    QUARANTINE_DIR,
    MediaSpan,
    probe_span,
    quarantined_raws,
    salvage_torn_segment,
)

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class StreamHistory:
    """What the journal says about one stream so far."""

    last_segment: int = 0
    last_end_utc: datetime | None = None  # where the journal's account of the stream ends (segment or gap)
    init: tuple[str, str] | None = None  # (object relative path, sha256)
    origin_utc: datetime | None = None  # media time 0 of the current run (its OriginEvent)

    def covered_until(self, end_utc: datetime | None) -> None:
        """Note that the journal accounts for the stream up to ``end_utc`` (a segment or a gap)."""
        if end_utc is not None and (self.last_end_utc is None or end_utc > self.last_end_utc):
            self.last_end_utc = end_utc


class LeftoverLog(Protocol):
    """The part of the recording log that journals leftovers."""

    @property
    def journal(self) -> JournalWriter: ...

    def spool_relative(self, path: Path) -> str: ...

    def journal_segment(
        self,
        stream: str,
        sealed: SealedFile,
        *,
        segment: int,
        start_seconds: float | None,
        end_seconds: float | None,
        start_utc: datetime | None,
        end_utc: datetime | None,
        flags: tuple[SegmentFlag, ...],
        raw_size: int | None = None,
        raw_kept_as: str | None = None,
    ) -> None: ...


def journal_leftovers(
    log: LeftoverLog, stream: str, directory: Path, init: bytes | None, past: StreamHistory
) -> None:
    """Salvage torn segments in ``directory`` and journal sealed segments the journal does not have
    yet (numbers above ``past.last_segment``); ``past`` is updated as they are journaled."""
    for temporary in sorted(directory.glob(f"*.m4s{TEMP_SUFFIX}")):
        final = temporary.with_name(temporary.name.removesuffix(TEMP_SUFFIX))
        if finish_interrupted_link(temporary, final):
            continue  # sealed whole, but the crash came before its temporary name was dropped
        _salvage(log, stream, temporary, init, past)
    for sealed_path in sorted(directory.glob("*.m4s")):
        seq = int(sealed_path.name.split(".")[0])
        if seq > past.last_segment:
            _journal_recovered(log, stream, sealed_path, seq=seq, init=init, past=past)
    _declare_unnamed_raws(log, stream, directory)


def _declare_unnamed_raws(log: LeftoverLog, stream: str, directory: Path) -> None:
    """Journal quarantined raw bytes no journal line names: a crash after a torn segment with
    nothing decodable was quarantined, before its ``repair`` line, leaves them so."""
    raws = sorted((directory / QUARANTINE_DIR).glob("*.raw"))
    if not raws:
        return
    named: set[str] = set()
    for line in log.journal.history:
        if line.type in (EventType.REPAIR, EventType.SEGMENT):
            event = parse_event(line)
            if isinstance(event, RepairEvent | SegmentEvent) and event.raw_kept_as:
                named.add(event.raw_kept_as)
    for raw in raws:
        relative = log.spool_relative(raw)
        if relative in named:
            continue
        logger.warning("stream %s: quarantined %s was never journaled; declaring it", stream, relative)
        log.journal.append(
            RepairEvent(
                reason="torn segment without a complete fragment (quarantined before a crash)",
                stream=stream,
                raw_size=raw.stat().st_size,
                raw_kept_as=relative,
            )
        )


def _salvage(log: LeftoverLog, stream: str, temporary: Path, init: bytes | None, past: StreamHistory) -> None:
    result = salvage_torn_segment(temporary, init)
    raw_kept_as = log.spool_relative(result.raw)
    if result.sealed is None:
        # nothing decodable: the number is reused by the next segment; the raw bytes stay declared
        logger.warning("stream %s: torn segment %d had nothing decodable", stream, result.seq)
        log.journal.append(
            RepairEvent(
                reason="torn segment without a complete fragment",
                stream=stream,
                raw_size=result.raw_size,
                raw_kept_as=raw_kept_as,
            )
        )
        return
    _journal_with_span(
        log,
        stream,
        result.sealed,
        seq=result.seq,
        span=result.span,
        past=past,
        flags=(SegmentFlag.PARTIAL,),
        raw=(result.raw_size, raw_kept_as),
    )


def _journal_recovered(
    log: LeftoverLog, stream: str, path: Path, *, seq: int, init: bytes | None, past: StreamHistory
) -> None:
    data = path.read_bytes()
    sealed = SealedFile(path=path, sha256=sha256_file(path), size=len(data))
    span = probe_span(init, data) if init else None
    raw = next((r for r in quarantined_raws(path.parent, path.name) if _starts_with(r, data)), None)
    if raw is not None:  # a salvaged prefix whose journal line the crash prevented
        kept = (raw.stat().st_size, log.spool_relative(raw))
        _journal_with_span(
            log, stream, sealed, seq=seq, span=span, past=past, flags=(SegmentFlag.PARTIAL,), raw=kept
        )
        return
    _journal_with_span(
        log, stream, sealed, seq=seq, span=span, past=past, flags=(SegmentFlag.RECOVERED,), raw=None
    )


def _starts_with(path: Path, prefix: bytes) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(prefix)) == prefix


def _journal_with_span(
    log: LeftoverLog,
    stream: str,
    sealed: SealedFile,
    *,
    seq: int,
    span: MediaSpan | None,
    past: StreamHistory,
    flags: tuple[SegmentFlag, ...],
    raw: tuple[int, str] | None,
) -> None:
    start_utc = past.last_end_utc
    end_utc = None
    start_s = end_s = None
    if span is not None:
        start_s, end_s = span.start_seconds, span.end_seconds
        if past.origin_utc is not None:  # timed from its own run, like the segments sealed in it
            start_utc = past.origin_utc + timedelta(seconds=span.start_seconds)
            end_utc = past.origin_utc + timedelta(seconds=span.end_seconds)
        elif start_utc is not None:  # a journal from before origins were journaled
            end_utc = start_utc + timedelta(seconds=span.end_seconds - span.start_seconds)
    log.journal_segment(
        stream,
        sealed,
        segment=seq,
        start_seconds=start_s,
        end_seconds=end_s,
        start_utc=start_utc,
        end_utc=end_utc,
        flags=flags,
        raw_size=None if raw is None else raw[0],
        raw_kept_as=None if raw is None else raw[1],
    )
    past.last_segment = max(past.last_segment, seq)
    past.covered_until(end_utc)
