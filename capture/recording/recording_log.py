"""The recorder's side of the journal: turns stream events into journal lines and upload-queue entries.

Implements the StreamEvents protocol. Every sealed object is journaled first (that line, fsynced,
is the local acknowledgement) and queued second; reconciliation on restart covers a crash between.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path

from archive.formats import (
    crash_point,
    durable_temporary,
    finish_interrupted_link,
    sha256_bytes,
    sha256_file,
    write_file_durably,
)
from archive.journal import (
    AlarmEvent,
    ClockStepEvent,
    GapEvent,
    InitEvent,
    JournalWriter,
    OriginEvent,
    RecordingFailedEvent,
    SegmentEvent,
    SegmentFlag,
)
from archive.spool import RecordingSpool, SealedFile, UploadQueue
from capture.recording.stream.segmenter import SegmentInfo
from capture.recovery.leftovers import StreamHistory, journal_leftovers
from devices import HealthCondition

logger = logging.getLogger(__name__)


class RecordingLog:
    """Journal + upload queue of one recording, shared by all of its stream pipelines."""

    def __init__(
        self,
        spool: RecordingSpool,
        journal: JournalWriter,
        queue: UploadQueue,
        *,
        object_prefix: str,
        run: int,
        streams: dict[str, StreamHistory],
    ) -> None:
        self._spool = spool
        self._journal = journal
        self._queue = queue
        self._prefix = object_prefix
        self._run = run
        self._lock = threading.Lock()
        # what is journaled per stream: last segment, its end, the init segment it decodes with
        self._streams = streams

    @property
    def journal(self) -> JournalWriter:
        return self._journal

    def spool_relative(self, path: Path) -> str:
        """``path`` relative to the recording's spool directory."""
        return self._spool.relative(path)

    def enqueue(self, path: Path, sha256: str, size: int, *, delete_after_upload: bool) -> None:
        """Queue a sealed local file for upload under this recording's prefix."""
        self._queue.enqueue(
            object_key=f"{self._prefix}/{self._spool.relative(path)}",
            local_path=path,
            sha256=sha256,
            size=size,
            recording_id=self._spool.recording_id,
            delete_after_upload=delete_after_upload,
        )

    def init_ready(self, stream: str, init_segment: bytes) -> None:
        digest = sha256_bytes(init_segment)
        with self._lock:
            known = self._stream(stream).init
            if known is not None and known[1] == digest:
                return  # the same codec set-up as before: segments keep using the archived init
            directory = self._spool.stream_dir(stream)
            stem = "init" if known is None else f"init-run{self._run:03d}"
            path = _place_init(directory, stem, init_segment, digest)
            crash_point("init.written", path.name)
            relative = self._spool.relative(path)
            self._journal.append(
                InitEvent(stream=stream, object=relative, sha256=digest, size=len(init_segment))
            )
            crash_point("init.journaled", path.name)
            self._stream(stream).init = (relative, digest)
        # init segments stay on the spool: salvaging a torn segment after a crash needs them
        self.enqueue(path, digest, len(init_segment), delete_after_upload=False)

    def segment_sealed(
        self, stream: str, sealed: SealedFile, info: SegmentInfo, start_utc: datetime, end_utc: datetime
    ) -> None:
        self.journal_segment(
            stream,
            sealed,
            segment=info.seq,
            start_seconds=info.start_seconds,
            end_seconds=info.end_seconds,
            start_utc=start_utc,
            end_utc=end_utc,
            flags=(SegmentFlag.PRE_EVENT,) if info.pre_event else (),
        )

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
    ) -> None:
        """Journal a sealed segment, then queue it for upload. ``raw_size``/``raw_kept_as`` describe
        the raw bytes of the torn segment it was salvaged from, if it was."""
        crash_point("segment.sealed", sealed.path.name)
        past = self._stream(stream)
        init = past.init
        self._journal.append(
            SegmentEvent(
                stream=stream,
                segment=segment,
                object=self._spool.relative(sealed.path),
                sha256=sealed.sha256,
                size=sealed.size,
                init=init[0] if init else None,
                start_seconds=start_seconds,
                end_seconds=end_seconds,
                duration=None
                if start_seconds is None or end_seconds is None
                else round(end_seconds - start_seconds, 6),
                t_start_utc=start_utc.isoformat() if start_utc else None,
                t_end_utc=end_utc.isoformat() if end_utc else None,
                flags=flags,
                raw_size=raw_size,
                raw_kept_as=raw_kept_as,
            )
        )
        crash_point("segment.journaled", sealed.path.name)
        past.last_segment = max(past.last_segment, segment)
        past.covered_until(end_utc)
        self.enqueue(sealed.path, sealed.sha256, sealed.size, delete_after_upload=True)

    def stream_failed(self, stream: str, message: str, at: datetime) -> int:
        """Journal that a stream's recording failed, journal what it left on disk (a torn segment's
        decodable prefix, a sealed but unjournaled segment), and return the segment number the
        restarted stream continues with."""
        logger.error("stream %s: recording failed (%s); restarting it", stream, message)
        self._journal.append(RecordingFailedEvent(stream=stream, detail=message), at=at)
        past = self._stream(stream)
        init = self._spool.root / past.init[0] if past.init else None
        init_bytes = init.read_bytes() if init is not None and init.exists() else None
        journal_leftovers(self, stream, self._spool.stream_dir(stream), init_bytes, past)
        return past.last_segment + 1

    def next_segment(self, stream: str) -> int:
        """The number of the next segment of ``stream`` (one past the last journaled)."""
        return self._stream(stream).last_segment + 1

    def recorded_until(self, stream: str) -> datetime | None:
        """When the last journaled media of ``stream`` ends (None before its first segment)."""
        return self._stream(stream).last_end_utc

    def _stream(self, stream: str) -> StreamHistory:
        return self._streams.setdefault(stream, StreamHistory())

    def health_changed(self, stream: str, condition: HealthCondition, active: bool, at: datetime) -> None:
        logger.warning("stream %s: %s %s", stream, condition, "ALARM" if active else "cleared")
        self._journal.append(AlarmEvent(stream=stream, condition=str(condition), active=active), at=at)

    def origin(self, stream: str, origin_utc: datetime) -> None:
        """Journal a run's media origin (before any of its media is written; see OriginEvent)."""
        self._journal.append(OriginEvent(stream=stream, t_origin_utc=origin_utc.isoformat()))
        crash_point("origin.journaled", stream)
        self._stream(stream).origin_utc = origin_utc

    def origin_of(self, stream: str) -> datetime | None:
        """The media origin of ``stream``'s current run (None before it journaled one)."""
        history = self._streams.get(stream)
        return None if history is None else history.origin_utc

    def gap(self, stream: str, start: datetime, end: datetime, reason: str) -> None:
        """Journal that nothing was recorded on ``stream`` from ``start`` to ``end`` (wall times).

        Never a negative gap: when ``end`` is before ``start`` the wall clock went back between the
        two readings (e.g. across a restart), which is journaled as a clock step; the gap is then
        journaled as starting and ending at ``start`` with its length unknown."""
        if end < start:
            back = (start - end).total_seconds()
            self._journal.append(
                ClockStepEvent(
                    step_seconds=-round(back, 6),
                    expected=start.isoformat(),
                    observed=end.isoformat(),
                    reason=f"wall clock went back at least {back:.3f} s: a gap of {stream} would end"
                    " before it starts",
                ),
                at=end,
            )
            end, reason = start, f"{reason} (length unknown: the wall clock went back)"
        logger.warning("stream %s: gap %s .. %s (%s)", stream, start, end, reason)
        self._stream(stream).covered_until(end)
        self._journal.append(
            GapEvent(
                stream=stream,
                start=start.isoformat(),
                end=end.isoformat(),
                reason=reason,
                seconds=round((end - start).total_seconds(), 3),
            )
        )


def _place_init(directory: Path, stem: str, data: bytes, digest: str) -> Path:
    """Write an init segment durably as ``<stem>.mp4`` and return where it is.

    Restartable: a write cut between its link and dropping the temporary name is finished; a file
    of that name left unjournaled by a run that died before journaling it is adopted when it holds
    the same bytes, and otherwise kept untouched (never delete evidence) while the next free name,
    ``<stem>-2.mp4`` …, is used.
    """
    attempt = 1
    while True:
        path = directory / (f"{stem}.mp4" if attempt == 1 else f"{stem}-{attempt}.mp4")
        finish_interrupted_link(durable_temporary(path), path)
        if not path.exists():
            write_file_durably(path, data)
            return path
        if sha256_file(path) == digest:
            logger.warning("adopting %s, written before a crash but never journaled", path)
            return path
        logger.warning("%s holds another init segment nobody journaled; kept, not reused", path)
        attempt += 1
