"""Noticing when the wall clock steps: its distance from the monotonic clock changes.

Between two readings the wall clock should move exactly as far as the monotonic clock. When it moves
more or less than that by over ``threshold_seconds`` (NTP stepping a clock that was wrong, a person
setting the time, a virtual machine resumed), the difference is a step: what is recorded with wall
times from then on is on another timeline, and whoever reads the record must be told.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from timebase.clock import Clock

STEP_THRESHOLD_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class ClockStep:
    """A step of ``seconds`` (positive: the wall clock jumped ahead): at ``observed`` wall time, the
    monotonic clock put it at ``expected``."""

    seconds: float
    expected: datetime
    observed: datetime


class ClockStepDetector:
    """Compares the wall clock with the monotonic clock at every :meth:`check` (thread-safe)."""

    def __init__(self, clock: Clock, *, threshold_seconds: float = STEP_THRESHOLD_SECONDS) -> None:
        if threshold_seconds <= 0:
            raise ValueError(f"'threshold_seconds' must be > 0 (got {threshold_seconds})")
        self._clock = clock
        self._threshold = threshold_seconds
        self._lock = threading.Lock()
        self._wall, self._mono = clock.now(), clock.monotonic()

    def check(self) -> ClockStep | None:
        """The step since the last check (or start) when it exceeds the threshold, else None.

        After a step the new wall time is the reference, so one step is reported once; drift below
        the threshold accumulates until it crosses it.
        """
        with self._lock:
            wall, mono = self._clock.now(), self._clock.monotonic()
            expected = self._wall + timedelta(seconds=mono - self._mono)
            step = (wall - expected).total_seconds()
            if abs(step) <= self._threshold:
                return None
            self._wall, self._mono = wall, mono
            return ClockStep(seconds=round(step, 6), expected=expected, observed=wall)
