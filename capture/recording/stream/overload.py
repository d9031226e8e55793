"""Is a stream keeping up with real time? An alarm the moment it is not, and a record of every lost frame.

A live source hands over frames in real time; when the media thread (overlay, encode, mux) costs more
than a frame interval, frames pile up in the reader's queue and are recorded later and later — twelve
720p30 sources on two cores held 28-35 s of pictures for a 30-s recording, with no alarm. This watch
sees that from the media thread, frame by frame:

* **lag**: how far the frame being processed is behind the wall time it was due (its media time
  against the monotonic clock, anchored at the stream's first frame). Over ``late_seconds`` the
  ``PIPELINE_BEHIND`` alarm is raised at once; it clears when the lag is back under a quarter of it.
* **lost frames**: a video timestamp that skips frames (the device dropped them, e.g. a camera whose
  buffer overflowed while we were behind) or that does not advance (a late or duplicate frame the
  encoder cannot take). Losses less than ``merge_seconds`` apart are reported together (count, media
  time span, reason), at most ``merge_seconds`` after the first, so the journal says what the
  recording lacks without a line per frame.

The watch only measures; :class:`OverloadReport` (implemented by the pipeline) journals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from devices import HealthCondition

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OverloadThresholds:
    """When a stream counts as behind real time."""

    late_seconds: float = 1.0
    """A frame processed this long after its due time raises the alarm (seconds)."""
    merge_seconds: float = 1.0
    """Lost frames this close together (media time) are reported as one loss."""

    def __post_init__(self) -> None:
        for name in ("late_seconds", "merge_seconds"):
            value = getattr(self, name)
            if not 0 < value <= 60:  # a minute is far past any alarm
                raise ValueError(f"'{name}' must be in (0, 60] (got {value})")


@dataclass(slots=True)
class _Loss:
    count: int
    start: float
    end: float
    reasons: list[str]


class OverloadReport(Protocol):
    """Where the watch's findings go (the pipeline journals them)."""

    def behind(self, active: bool, lag_seconds: float, queued: int) -> None:
        """The stream fell behind real time (``active``) or caught up again."""
        ...

    def frames_lost(self, count: int, start_seconds: float, end_seconds: float, reason: str) -> None:
        """``count`` video frames between media times ``start_seconds`` and ``end_seconds`` are missing."""
        ...


class OverloadWatch:
    """Watches one stream's media thread against real time (see the module doc); not thread-safe,
    used from the media thread only."""

    def __init__(
        self,
        report: OverloadReport,
        thresholds: OverloadThresholds | None = None,
        *,
        stall_seconds: float | None = None,
    ) -> None:
        """``stall_seconds``: a pause of the video this long is the health monitor's to journal (as
        no frames, with its gap), so frames skipped across it are not reported again here."""
        self._report = report
        self._thresholds = thresholds or OverloadThresholds()
        self._stall_seconds = stall_seconds
        self._last_video_at: float | None = None
        self._offset: float | None = None  # monotonic time minus media time at the first frame
        self._last_seconds: float | None = None
        self._behind = False
        self._pending: _Loss | None = None
        self.lag_seconds = 0.0
        self.frames_lost_total = 0

    @property
    def is_behind(self) -> bool:
        """Whether the alarm is raised now."""
        return self._behind

    def frame(self, media_seconds: float, now: float, queued: int) -> None:
        """A frame of media time ``media_seconds`` is processed at monotonic ``now`` with ``queued``
        more frames waiting."""
        if self._offset is None or (
            self._last_seconds is not None and media_seconds < self._last_seconds - 1
        ):
            self._offset = now - media_seconds  # the first frame, or a new source timeline: re-anchor
        self._last_seconds = media_seconds
        pending = self._pending
        if pending is not None and media_seconds - pending.start > self._thresholds.merge_seconds:
            self.flush()
        # a frame can be early (the anchor frame itself was late), never "negatively late"
        self._offset = min(self._offset, now - media_seconds)
        self.lag_seconds = now - media_seconds - self._offset
        late = self._thresholds.late_seconds
        if not self._behind and self.lag_seconds > late:
            self._behind = True
            self._report.behind(True, self.lag_seconds, queued)
        elif self._behind and self.lag_seconds < late / 4:
            self._behind = False
            self._report.behind(False, self.lag_seconds, queued)

    def video_frame(self, pts: int, previous_pts: int, fps: float, now: float) -> bool:
        """Account for a video frame's timestamp ``pts`` (in frames) after ``previous_pts`` (-1 before
        the first), processed at monotonic ``now``; returns False when the frame cannot be recorded
        (it does not advance the timeline), after reporting it lost."""
        paused = self._last_video_at is not None and self._stall_seconds is not None
        paused = paused and now - (self._last_video_at or now) >= (self._stall_seconds or 0)
        self._last_video_at = now
        if previous_pts >= 0 and pts <= previous_pts:
            self._lost(1, pts / fps, (pts + 1) / fps, "a late or repeated video frame could not be recorded")
            return False
        skipped = pts - previous_pts - 1 if previous_pts >= 0 else 0
        if skipped > 0 and not paused:
            self._lost(skipped, (previous_pts + 1) / fps, pts / fps, "the source dropped video frames")
        return True

    def flush(self) -> None:
        """Report losses still being gathered (call when the stream ends)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self._report.frames_lost(pending.count, pending.start, pending.end, "; ".join(pending.reasons))

    def _lost(self, count: int, start: float, end: float, reason: str) -> None:
        self.frames_lost_total += count
        merge = self._thresholds.merge_seconds
        pending = self._pending
        if pending is not None and (start - pending.end > merge or start - pending.start > merge):
            self.flush()
            pending = None
        if pending is None:
            self._pending = _Loss(count, start, end, [reason])
            return
        pending.count += count
        pending.end = max(pending.end, end)
        if reason not in pending.reasons:
            pending.reasons.append(reason)


class _Journal(Protocol):
    """The part of the pipeline's StreamEvents the report writes to."""

    def health_changed(self, stream: str, condition: HealthCondition, active: bool, at: datetime) -> None: ...

    def gap(self, stream: str, start: datetime, end: datetime, reason: str) -> None: ...


class JournaledOverload:
    """An OverloadReport that journals: the ``PIPELINE_BEHIND`` alarm (raised and cleared) and a gap
    record per loss, its times from ``utc_of`` (media seconds → wall time of the stream)."""

    def __init__(
        self, stream: str, journal: _Journal, utc_of: Callable[[float], datetime], now: Callable[[], datetime]
    ) -> None:
        self._stream = stream
        self._journal = journal
        self._utc_of = utc_of
        self._now = now

    def behind(self, active: bool, lag_seconds: float, queued: int) -> None:
        logger.log(
            logging.ERROR if active else logging.WARNING,
            "stream %s: %s (frames %.1f s late, %d waiting)",
            self._stream,
            "ALARM: behind real time, the machine cannot keep up" if active else "caught up with real time",
            lag_seconds,
            queued,
        )
        self._journal.health_changed(self._stream, HealthCondition.PIPELINE_BEHIND, active, self._now())

    def frames_lost(self, count: int, start_seconds: float, end_seconds: float, reason: str) -> None:
        end = max(end_seconds, start_seconds + 1e-3)
        text = f"{count} video frame(s) lost: {reason}"
        self._journal.gap(self._stream, self._utc_of(start_seconds), self._utc_of(end), text)


def utc_after(origin: Callable[[], datetime]) -> Callable[[float], datetime]:
    """Media seconds → wall time, from the stream origin ``origin()`` read at each call."""
    return lambda seconds: origin() + timedelta(seconds=seconds)
