"""Where a source's sound goes on the recording's timeline, and the holes in it.

Sound is recorded as a gapless run of samples (the AAC track has no holes of its own), placed by the
source's timestamps. When those jump forward — a device stall, an ALSA overrun (its timestamps are
taken from the clock when the period is read), a PulseAudio source whose samples were lost, a
source resumed after a failure — the missing stretch is left out of the timeline *and declared* as a
gap; it is never silently closed up. Small jitter of the timestamps (up to ``tolerance_seconds``)
is not a hole: the samples just follow each other. When a source's clock goes back (a reopened
source that counts from 0 again, a wall-clock step under ALSA), the timeline re-anchors on it so
that later jumps are still seen. A source reopened after a failure is placed after the time it was
away (measured on the monotonic clock by whoever reopened it: :meth:`AudioTimeline.resume`), and
that stretch is a gap too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)

DEFAULT_TOLERANCE_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class SampleGap:
    """A stretch of the timeline with no sound: samples ``start`` to ``end`` (end exclusive)."""

    start: int
    end: int


class AudioTimeline:
    """The position (in samples at ``rate`` since media time 0) of the next sound to record."""

    def __init__(self, rate: int, *, tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS) -> None:
        if rate <= 0 or tolerance_seconds <= 0:
            raise ValueError(f"'rate' and 'tolerance_seconds' must be > 0 (got {rate}, {tolerance_seconds})")
        self.rate = rate
        self.next_sample = 0
        self._tolerance = round(tolerance_seconds * rate)
        self._offset = 0  # samples added to the source's own position since it last went back
        self._resumed_after: int | None = None  # samples the source was away before it was reopened

    def place(self, media_seconds: float) -> SampleGap | None:
        """Account for sound stamped at ``media_seconds`` (the source's time since media time 0)
        arriving next; returns the gap before it when its timestamp jumped past the tolerance."""
        own = round(media_seconds * self.rate)
        if self._resumed_after is not None:  # its own timestamps say nothing about the time away
            arrival = self.next_sample + self._resumed_after
            self._offset = arrival - own
            self._resumed_after = None
            if arrival > self.next_sample:
                gap = SampleGap(self.next_sample, arrival)
                self.next_sample = arrival
                return gap
            return None
        arrival = own + self._offset
        if arrival > self.next_sample + self._tolerance:
            gap = SampleGap(self.next_sample, arrival)
            self.next_sample = arrival
            return gap
        if arrival < self.next_sample - self._tolerance:
            logger.warning(
                "sound timestamps went back %.3f s (a reopened source or a clock step): re-anchored",
                (self.next_sample - arrival) / self.rate,
            )
            self._offset += self.next_sample - arrival
        return None

    @property
    def offset_seconds(self) -> float:
        """How far the source's own timestamps are moved onto the timeline (since it last went back)."""
        return self._offset / self.rate

    def resume(self, away_seconds: float) -> None:
        """The source was reopened after ``away_seconds`` without sound: the next sound is placed
        that far after the last (a gap), whatever its own timestamps say."""
        self._resumed_after = max(0, round(away_seconds * self.rate))

    def advance(self, samples: int) -> int:
        """Record ``samples`` more samples; returns the position they start at."""
        start = self.next_sample
        self.next_sample += samples
        return start
