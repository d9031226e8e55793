"""Health detectors for a source: no frames, black picture, frozen picture, silence.

Pure and clock-injected: the caller passes monotonic ``now`` (seconds) to every call, so the
monitor holds no threads and never sleeps, and tests can drive it with media timestamps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from devices.monitoring.frame_metrics import audio_rms_dbfs, luma_thumbnail

__all__ = ["HealthCondition", "HealthEvent", "HealthMonitor", "HealthThresholds"]


class HealthCondition(StrEnum):
    """A problem a source can have; each is either active or not at any moment."""

    NO_FRAMES = "no_frames"
    VIDEO_BLACK = "video_black"
    VIDEO_FROZEN = "video_frozen"
    AUDIO_SILENT = "audio_silent"
    PIPELINE_BEHIND = (
        "pipeline_behind"  # raised by the capture pipeline: it cannot keep up (not by HealthMonitor)
    )


@dataclass(frozen=True, slots=True)
class HealthEvent:
    """A condition starting (``active=True``) or clearing (``active=False``) at monotonic time ``at``."""

    condition: HealthCondition
    active: bool
    at: float


@dataclass(frozen=True, slots=True)
class HealthThresholds:
    """How long (seconds) a condition must last before it is reported, and what counts as it.

    ``black_luma``: mean Y code value below which a picture is black (limited-range black is 16).
    ``frozen_mean_abs_diff``: mean absolute Y difference between consecutive frames below which the
    picture counts as unchanged. ``silence_dbfs``: RMS level (dBFS) below which audio is silent.
    """

    no_frames_seconds: float = 3.0
    black_seconds: float = 3.0
    frozen_seconds: float = 3.0
    silence_seconds: float = 3.0
    black_luma: float = 20.0
    frozen_mean_abs_diff: float = 0.5
    silence_dbfs: float = -60.0

    def __post_init__(self) -> None:
        for name in ("no_frames_seconds", "black_seconds", "frozen_seconds", "silence_seconds"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"'{name}' must be a finite number of seconds > 0 (got {value!r})")
        if not 0 < self.black_luma <= 255:
            raise ValueError(f"'black_luma' must be in (0, 255] (got {self.black_luma!r})")
        if not 0 <= self.frozen_mean_abs_diff <= 255:
            raise ValueError(
                f"'frozen_mean_abs_diff' must be in [0, 255] (got {self.frozen_mean_abs_diff!r})"
            )
        if not self.silence_dbfs < 0:
            raise ValueError(f"'silence_dbfs' must be < 0 (got {self.silence_dbfs!r})")


@dataclass(slots=True)
class _Sustained:
    """Reports a condition once it has held for ``threshold`` seconds, and again when it ends."""

    condition: HealthCondition
    threshold: float
    since: float | None = None
    active: bool = False

    def update(self, present: bool, started: float, now: float) -> list[HealthEvent]:
        if not present:
            self.since = None
            if self.active:
                self.active = False
                return [HealthEvent(self.condition, False, now)]
            return []
        if self.since is None:
            self.since = started
        if not self.active and now - self.since >= self.threshold:
            self.active = True
            return [HealthEvent(self.condition, True, self.since + self.threshold)]
        return []


@dataclass(slots=True)
class _Arrivals:
    """When each expected medium last delivered a frame, for NO_FRAMES."""

    threshold: float
    last_seen: dict[str, float]
    active: bool = False

    def check(self, now: float) -> list[HealthEvent]:
        stalled = [seen for seen in self.last_seen.values() if now - seen >= self.threshold]
        if stalled and not self.active:
            self.active = True
            return [HealthEvent(HealthCondition.NO_FRAMES, True, min(stalled) + self.threshold)]
        if not stalled and self.active:
            self.active = False
            return [HealthEvent(HealthCondition.NO_FRAMES, False, now)]
        return []

    def arrived(self, medium: str, now: float) -> list[HealthEvent]:
        events = self.check(now)  # a gap that no tick() saw is still reported, before it clears
        self.last_seen[medium] = now
        return events + self.check(now)


class HealthMonitor:
    """Turns a source's frames (and periodic ticks) into health events.

    Feed every frame to :meth:`observe_video` / :meth:`observe_audio` and call :meth:`tick` about
    every 0.5 s; each returns the events that happened, oldest first, and :attr:`active` is the
    set of conditions currently on. Event times:

    * NO_FRAMES starts when some expected medium (video if ``has_video``, audio if ``has_audio``)
      has delivered nothing for ``no_frames_seconds``; ``at`` = that medium's last frame time (or
      the constructor's ``now`` if it never delivered) + ``no_frames_seconds``, even when noticed
      later. It clears when every expected medium is delivering again; ``at`` = the ``now`` of
      the frame that completed the recovery, i.e. when frames resumed. A gap longer than the
      threshold is reported (start and clear together) even if no tick ran during it.
    * VIDEO_BLACK / AUDIO_SILENT start at the first black/silent frame's ``now`` + threshold, if
      every frame since was black/silent; VIDEO_FROZEN starts at the time of the last frame
      that still changed + threshold. Each clears at the ``now`` of the first frame without it.
      A black picture counts as black, not frozen (it never changes, trivially).

    Per frame the video check costs a 1/16 subsampled luma read and one small ``absdiff``.
    """

    def __init__(
        self,
        *,
        has_video: bool,
        has_audio: bool,
        thresholds: HealthThresholds | None = None,
        now: float,
    ) -> None:
        """Start watching at monotonic ``now``; ``thresholds`` default to :class:`HealthThresholds`.

        Raises:
            ValueError: neither ``has_video`` nor ``has_audio``.
        """
        if not (has_video or has_audio):
            raise ValueError("a HealthMonitor needs has_video or has_audio")
        self.thresholds = thresholds or HealthThresholds()
        t = self.thresholds
        expected = [name for name, present in (("video", has_video), ("audio", has_audio)) if present]
        self._arrivals = _Arrivals(t.no_frames_seconds, dict.fromkeys(expected, now))
        self._black = _Sustained(HealthCondition.VIDEO_BLACK, t.black_seconds)
        self._frozen = _Sustained(HealthCondition.VIDEO_FROZEN, t.frozen_seconds)
        self._silent = _Sustained(HealthCondition.AUDIO_SILENT, t.silence_seconds)
        self._previous: NDArray[np.uint8] | None = None
        self._previous_at = now

    @property
    def active(self) -> frozenset[HealthCondition]:
        """The conditions currently on."""
        flags = (
            (HealthCondition.NO_FRAMES, self._arrivals.active),
            (HealthCondition.VIDEO_BLACK, self._black.active),
            (HealthCondition.VIDEO_FROZEN, self._frozen.active),
            (HealthCondition.AUDIO_SILENT, self._silent.active),
        )
        return frozenset(condition for condition, on in flags if on)

    def observe_video(self, frame: av.VideoFrame, now: float) -> list[HealthEvent]:
        """Account for a video frame that arrived at ``now``; raises ValueError without ``has_video``."""
        if "video" not in self._arrivals.last_seen:
            raise ValueError("observe_video() on a HealthMonitor made with has_video=False")
        events = self._arrivals.arrived("video", now)
        thumbnail = luma_thumbnail(frame)
        black = float(thumbnail.mean()) < self.thresholds.black_luma
        unchanged = (
            self._previous is not None
            and self._previous.shape == thumbnail.shape
            and float(cv2.absdiff(self._previous, thumbnail).mean()) < self.thresholds.frozen_mean_abs_diff
        )
        # A black picture never changes, so it is reported as black alone, not also as frozen.
        events += self._frozen.update(unchanged and not black, self._previous_at, now)
        events += self._black.update(black, now, now)
        self._previous, self._previous_at = thumbnail, now
        return _by_time(events)

    def observe_audio(self, frame: av.AudioFrame, now: float) -> list[HealthEvent]:
        """Account for an audio frame that arrived at ``now``; raises ValueError without ``has_audio``."""
        if "audio" not in self._arrivals.last_seen:
            raise ValueError("observe_audio() on a HealthMonitor made with has_audio=False")
        events = self._arrivals.arrived("audio", now)
        silent = audio_rms_dbfs(frame) < self.thresholds.silence_dbfs
        events += self._silent.update(silent, now, now)
        return _by_time(events)

    def tick(self, now: float) -> list[HealthEvent]:
        """Check for NO_FRAMES at ``now`` when nothing arrives; call it every ~0.5 s."""
        return self._arrivals.check(now)


def _by_time(events: list[HealthEvent]) -> list[HealthEvent]:
    return sorted(events, key=lambda event: event.at)
