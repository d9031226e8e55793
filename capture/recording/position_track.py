"""Recording a bodycam's GPS track as evidence: the ``--gps SOURCE`` option and the track recorder.

The track is a timed-metadata stream of the recording (``gps`` by default): every ``segment_seconds``
the fixes received are written as one GeoJSON Lines segment (:mod:`archive.formats.position_lines`),
sealed (durable write, SHA-256 of the final bytes), journaled like a media segment (no init) and
queued for the same uploader, so ``archive verify`` checks every position and a changed coordinate
fails it. A period without fixes writes no segment; a source that fails is journaled as the alarm
``position_lost`` and reopened with a back-off, and cleared when fixes come again.

A fixed position (``--gps LAT,LON``, a courtroom) is configured, not measured: it is reported live but
never archived as if a receiver had recorded it (:attr:`PositionTrack.recorded` is False).

The ``--gps`` option itself is :mod:`capture.recording.position_option`; ``RecordingPlan(position=...)``
makes the recorder keep a :class:`PositionTrack`; its :attr:`PositionTrack.latest` is the fix to send live.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path

from archive import ArchiveError
from archive.formats import (
    POSITION_FORMAT,
    POSITION_KIND,
    PositionRecord,
    durable_temporary,
    encode_position_lines,
    finish_interrupted_link,
    parse_position_lines,
    position_segment_name,
    sha256_file,
    write_file_durably,
)
from archive.journal import AlarmEvent, DataDeclaration, SegmentFlag, StreamDeclaration
from archive.spool import SealedFile
from capture.recording.recording_log import RecordingLog
from devices import (
    DevicesError,
    PositionFix,
    PositionKind,
    PositionSource,
    PositionSpec,
    open_position_source,
)
from timebase import Backoff, Clock

logger = logging.getLogger(__name__)

__all__ = [
    "GPS_STREAM",
    "POSITION_LOST",
    "PositionTrack",
]

GPS_STREAM = "gps"
POSITION_LOST = "position_lost"
_REOPEN = Backoff(first_seconds=1.0, cap_seconds=30.0)


class PositionTrack:
    """The ``gps`` stream of one recording run: open, declare, start, read :attr:`latest`, stop."""

    def __init__(
        self, spec: PositionSpec, clock: Clock, *, segment_seconds: float = 6.0, stream: str = GPS_STREAM
    ) -> None:
        if not segment_seconds > 0:
            raise ValueError(f"segment_seconds must be > 0 (got {segment_seconds})")
        self.spec = spec
        self.stream = stream
        self._clock = clock
        self._segment_seconds = segment_seconds
        self._source: PositionSource | None = None
        self._lock = threading.Lock()
        self._pending: list[PositionFix] = []
        self._latest: PositionFix | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._log: RecordingLog | None = None
        self._directory = Path()
        self._next_seq = 1
        self._origin: datetime | None = None
        self._period_start: datetime | None = None
        self._lost = False
        self.segments_sealed = 0
        self.recorded = spec.kind is not PositionKind.FIXED
        """Whether the track is archived (a measured source) or only reported live (a fixed position)."""

    @property
    def latest(self) -> PositionFix | None:
        """The last fix received (None before the first): what telemetry reports live."""
        with self._lock:
            return self._latest

    @property
    def bad_sentences(self) -> int:
        """Corrupt input the current source skipped."""
        source = self._source
        return 0 if source is None else source.bad_sentences

    def declaration(self) -> StreamDeclaration:
        """How the start event declares this stream (when :attr:`recorded`)."""
        return StreamDeclaration(
            name=self.stream,
            source=self.spec.canonical,
            video=None,
            audio=None,
            data=DataDeclaration(kind=POSITION_KIND, format=POSITION_FORMAT),
        )

    def open(self) -> None:
        """Try to open the position source now. A receiver that is not there yet (gpsd not
        answering, the USB receiver not plugged in) does not stop the recording: it is logged here,
        journaled as ``position_lost`` once the recording starts, and retried with a back-off."""
        try:
            self._source = open_position_source(self.spec, self._clock.now)
        except DevicesError as exc:
            logger.warning("stream %s: %s; recording without positions until it answers", self.stream, exc)

    def start(self, log: RecordingLog, directory: Path, first_seq: int) -> None:
        """Journal the stream's origin and start reading and sealing (two named threads)."""
        self._log = log
        self._directory = directory
        self._next_seq = first_seq
        workers = [("reader", self._read)]
        if self.recorded:
            directory.mkdir(parents=True, exist_ok=True)
            self._journal_leftovers(log)
            self._origin = self._period_start = self._clock.now()
            log.origin(self.stream, self._origin)
            workers.append(("sealer", self._seal_periodically))
        for name, target in workers:
            thread = threading.Thread(target=target, name=f"{self.stream}-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop reading, seal what was received since the last segment, and return."""
        self._stop.set()
        if self._source is not None:
            self._source.close()
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        if self._log is not None:
            self._seal(self._clock.now())

    def _journal_leftovers(self, log: RecordingLog) -> None:
        """Journal the segments a crash left sealed but unjournaled (flagged ``recovered``), so the
        numbering goes on after them; a file that is not a position segment is kept and skipped."""
        while True:
            path = self._directory / position_segment_name(self._next_seq)
            finish_interrupted_link(durable_temporary(path), path)
            if not path.exists():
                return
            try:
                records = parse_position_lines(path.read_bytes(), where=str(path))
            except ArchiveError as exc:
                logger.error("%s is kept but not journaled: %s", path, exc)
                self._next_seq += 1
                continue
            times = [record.fix_datetime for record in records]
            log.journal_segment(
                self.stream,
                SealedFile(path=path, sha256=sha256_file(path), size=path.stat().st_size),
                segment=self._next_seq,
                start_seconds=None,
                end_seconds=None,
                start_utc=min(times, default=None),
                end_utc=max(times, default=None),
                flags=(SegmentFlag.RECOVERED,),
            )
            logger.warning("stream %s: journaled %s, sealed before a crash", self.stream, path.name)
            self._next_seq += 1

    def _read(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            source = self._source
            try:
                if source is None:
                    source = self._source = open_position_source(self.spec, self._clock.now)
                    if self._stop.is_set():  # stop() ran while it opened: it could not close it
                        source.close()
                        return
                for fix in source.fixes():
                    attempt = 0
                    with self._lock:
                        self._pending.append(fix)
                        self._latest = fix
                    self._set_lost(False, "")
                if self._stop.is_set():
                    return
                if self.spec.kind is PositionKind.NMEA_FILE:  # a replayed log ends; it is not lost
                    logger.info("stream %s: %s has no more positions", self.stream, self.spec.canonical)
                    source.close()
                    return
                problem = "the position source ended"
            except DevicesError as exc:
                problem = str(exc)
            except Exception as exc:  # a supervisor's top level: journaled, then the source is reopened
                logger.exception("stream %s: position source failed", self.stream)
                problem = f"unexpected failure: {exc}"
            if source is not None:
                source.close()
            self._source = None
            self._set_lost(True, problem)
            if self._clock.wait(self._stop, _REOPEN.delay(attempt)):
                return
            attempt += 1

    def _set_lost(self, lost: bool, detail: str) -> None:
        if lost == self._lost or self._log is None or not self.recorded:
            return
        self._lost = lost
        logger.warning(
            "stream %s: %s %s", self.stream, POSITION_LOST, f"ALARM: {detail}" if lost else "cleared"
        )
        self._log.journal.append(
            AlarmEvent(condition=POSITION_LOST, active=lost, stream=self.stream, detail=detail[:400] or None)
        )

    def _seal_periodically(self) -> None:
        while not self._clock.wait(self._stop, self._segment_seconds):
            try:
                self._seal(self._clock.now())
            except Exception:  # a supervisor's top level: the fixes stay pending for the next try
                logger.exception(
                    "stream %s: sealing a position segment failed; retrying next period", self.stream
                )

    def _seal(self, end: datetime) -> None:
        """Write, seal, journal and queue the fixes received since the last segment, if any."""
        log, origin, start = self._log, self._origin, self._period_start
        if log is None or origin is None or start is None or not self.recorded:
            return
        with self._lock:
            fixes, self._pending = self._pending, []
        if not fixes:
            self._period_start = end
            return
        path = self._directory / position_segment_name(self._next_seq)
        try:
            write_file_durably(path, encode_position_lines(_record(fix) for fix in fixes))
            sealed = SealedFile(path=path, sha256=sha256_file(path), size=path.stat().st_size)
            log.journal_segment(
                self.stream,
                sealed,
                segment=self._next_seq,
                start_seconds=round((start - origin).total_seconds(), 6),
                end_seconds=round((end - origin).total_seconds(), 6),
                start_utc=start,
                end_utc=end,
                flags=(),
            )
        except BaseException:
            with self._lock:
                self._pending[:0] = fixes  # nothing journaled: keep them for the next period
            raise
        self._next_seq += 1
        self._period_start = end
        self.segments_sealed += 1


def _record(fix: PositionFix) -> PositionRecord:
    return PositionRecord(
        lat=fix.lat,
        lon=fix.lon,
        fix_time=fix.fix_time.isoformat(),
        received_at=fix.received_at.isoformat(),
        altitude_m=fix.altitude_m,
        speed_mps=fix.speed_mps,
        heading_deg=fix.heading_deg,
        accuracy_m=fix.accuracy_m,
    )
