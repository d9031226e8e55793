"""Where a source's pictures go on the recording's timeline, across a reopen of the source.

A picture is placed by its own timestamp (in frames since media time 0), and the encoder needs those
to rise: within one opening of the source, a picture that does not advance the timeline is late or
repeated and cannot be recorded (the overload watch counts and journals it as lost). A source reopened
after a failure (a camera unplugged and back, a network camera reconnected) may count from 0 again, and
its own timestamps say nothing about the time it was away. So, as for sound
(:mod:`capture.recording.stream.audio_timeline`), the first picture after a reopen is placed after the
last recorded picture plus the time away (measured on the monotonic clock by whoever reopened it), that
stretch is a declared gap, and the later pictures follow from there by their own timestamps. Sound and
pictures of one source are placed by the same time away, so they stay together.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FrameGap:
    """Frame slots ``start`` to ``end`` (end exclusive) of the timeline have no picture."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class FramePlace:
    """Where a picture goes: frame slot ``pts``, after ``gap`` when the source was reopened before it."""

    pts: int
    gap: FrameGap | None = None


class VideoTimeline:
    """Maps a source's own frame timestamps onto the recording's timeline at ``fps``."""

    def __init__(self, fps: float) -> None:
        if fps <= 0:
            raise ValueError(f"'fps' must be > 0 (got {fps})")
        self._fps = fps
        self._offset = 0  # frames added to the source's own timestamps since its last reopen
        self._resumed_after: int | None = None  # frame slots the source was away before its reopen

    def resume(self, away_seconds: float) -> None:
        """The source was reopened after ``away_seconds`` without pictures: its next picture is placed
        that far after the last recorded one (a gap), whatever its own timestamp says."""
        self._resumed_after = max(0, round(away_seconds * self._fps))

    def place(self, own_pts: int, last_pts: int) -> FramePlace:
        """The place of a picture stamped ``own_pts`` by its source, the last recorded picture being at
        ``last_pts`` (-1 before any). A place at or before ``last_pts`` is a late or repeated picture
        of the same opening: the caller cannot record it."""
        if self._resumed_after is None:
            return FramePlace(own_pts + self._offset)
        arrival = last_pts + 1 + self._resumed_after
        self._offset = arrival - own_pts
        self._resumed_after = None
        return FramePlace(arrival, FrameGap(last_pts + 1, arrival) if arrival > last_pts + 1 else None)
