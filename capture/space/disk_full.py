"""A stream that hits a full spool waits for space, then journals the hole and records on.

While the disk is full nothing can be journaled (a journal line needs the disk too), so the stream's
media thread holds still, dropping the pictures and sound nobody can record, with the CRITICAL alarm
out through the paths that need no disk (:mod:`capture.space.spool_space`). When space is back it journals,
in this order: the alarm as raised when the write failed, the failure (salvaging the torn segment as
any failure does), what the full queue could not take, the gap from the end of the last recorded
media to now, and the alarm cleared; then the stream starts again with the next segment number.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from archive.journal import AlarmEvent
from archive.spool import RecordingSpool, SealedFile
from capture.recording.recording_log import RecordingLog
from capture.recording.stream.segmenter import SegmentInfo
from capture.recovery.recovery import requeue_journaled
from capture.space.spool_space import SpaceCondition, SpoolSpace, is_disk_full
from devices import HealthCondition
from timebase import Clock

logger = logging.getLogger(__name__)

GAP_REASON = "spool disk full: nothing could be written"
_MIN_WAIT_SECONDS = 1.0  # a quota that df does not show must not make a stream spin


class DiskFullRecovery:
    """The media threads' handler of a full disk (``StreamPipeline(on_disk_full=...)``)."""

    def __init__(self, space: SpoolSpace, log: RecordingLog, spool: RecordingSpool, clock: Clock) -> None:
        self._space = space
        self._log = log
        self._spool = spool
        self._clock = clock
        self._journal_lock = threading.Lock()  # one stream at a time re-queues after an episode
        self._unjournaled: set[str] = set()

    @property
    def unjournaled(self) -> set[str]:
        """Streams whose full-disk hole is not journaled yet (the recorder must not journal a clean
        stop then: the next start journals the hole as an unclean stop's gap)."""
        with self._journal_lock:
            return set(self._unjournaled)

    def __call__(
        self,
        streams: tuple[str, ...],
        error: BaseException,
        failed_at: datetime,
        stop: threading.Event,
        idle: Callable[[], bool],
    ) -> dict[str, int] | None:
        """Wait for space (``idle`` drops frames meanwhile and says whether the source ended), then
        journal the episode of each of the source's ``streams``; returns the segment number each goes
        on with, None when stopping instead. Raises what the journaling raises, unless it is the disk
        filling up again (then it waits again)."""
        names = ", ".join(streams)
        self._space.full(f"stream {names}", error)
        with self._journal_lock:
            self._unjournaled.update(streams)
        while True:
            if self._clock.wait(stop, _MIN_WAIT_SECONDS) or not self._space.wait_for_space(stop, idle):
                self._journal_at_stop(streams, error, failed_at)
                return None
            try:
                return self._journal_episodes(streams, error, failed_at)
            except Exception as again:
                if not is_disk_full(again):
                    raise
                self._space.full(f"stream {names} journaling its gap", again)

    def _journal_episodes(
        self, streams: tuple[str, ...], error: BaseException, failed_at: datetime
    ) -> dict[str, int]:
        resumed: dict[str, int] = {}
        for stream in streams:
            if stream in self.unjournaled:
                outcome = "space is back; recording resumed"
                resumed[stream] = self._journal_episode(stream, error, failed_at, outcome)
            else:  # journaled before the disk filled up again
                resumed[stream] = self._log.next_segment(stream)
        return resumed

    def _journal_at_stop(self, streams: tuple[str, ...], error: BaseException, failed_at: datetime) -> None:
        """Stopped before space came back: journal the holes up to now if the disk takes a few lines."""
        for stream in streams:
            if stream not in self.unjournaled:
                continue
            try:
                self._journal_episode(stream, error, failed_at, "recording stopped while the spool was full")
            except Exception as again:
                if not is_disk_full(again):
                    raise
                logger.critical(
                    "stream %s: stopped while the spool was full; its gap is journaled at the next start",
                    stream,
                )

    def _journal_episode(self, stream: str, error: BaseException, failed_at: datetime, outcome: str) -> int:
        detail = f"{type(error).__name__}: {error}"
        journal = self._log.journal
        journal.append(
            AlarmEvent(condition=str(SpaceCondition.DISK_FULL), active=True, stream=stream, detail=detail),
            at=failed_at,
        )
        next_seq = self._log.stream_failed(stream, f"spool disk full ({detail})", failed_at)
        with self._journal_lock:
            requeue_journaled(self._spool, self._log, journal.history)
        resumed = self._clock.now()
        start = self._log.recorded_until(stream) or failed_at
        self._log.gap(stream, min(start, failed_at), resumed, GAP_REASON)
        journal.append(
            AlarmEvent(
                condition=str(SpaceCondition.DISK_FULL),
                active=False,
                stream=stream,
                detail=outcome,
            ),
            at=resumed,
        )
        with self._journal_lock:
            self._unjournaled.discard(stream)
        logger.warning("stream %s: %s (next segment %d)", stream, outcome, next_seq)
        return next_seq


class MeteredEvents:
    """The recording log as a stream's events, telling the space watch how much is being written."""

    def __init__(self, log: RecordingLog, space: SpoolSpace) -> None:
        self._log = log
        self._space = space

    def init_ready(self, stream: str, init_segment: bytes) -> None:
        self._log.init_ready(stream, init_segment)

    def segment_sealed(
        self, stream: str, sealed: SealedFile, info: SegmentInfo, start_utc: datetime, end_utc: datetime
    ) -> None:
        self._space.wrote(sealed.size)
        self._log.segment_sealed(stream, sealed, info, start_utc, end_utc)

    def health_changed(self, stream: str, condition: HealthCondition, active: bool, at: datetime) -> None:
        self._log.health_changed(stream, condition, active, at)

    def gap(self, stream: str, start: datetime, end: datetime, reason: str) -> None:
        self._log.gap(stream, start, end, reason)

    def origin(self, stream: str, origin_utc: datetime) -> None:
        self._log.origin(stream, origin_utc)

    def stream_failed(self, stream: str, message: str, at: datetime) -> int:
        return self._log.stream_failed(stream, message, at)
