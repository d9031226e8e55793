"""Journaling wall-clock steps while recording (issue 11, finding 10).

Segment times are the run's wall-clock origin plus media time, so a step of the wall clock during a
recording (NTP correcting a wrong clock, someone setting the time) would otherwise go unnoticed: the
journal's wall times before and after it are then on different timelines. A watcher thread compares
the wall clock with the monotonic clock every second and journals a ``clock_step`` event for every
step over a second, so the record says where its timeline moved and by how much.
"""

from __future__ import annotations

import logging
import threading

from archive.journal import ClockStepEvent, JournalWriter
from timebase import Clock, ClockStepDetector

logger = logging.getLogger(__name__)

CHECK_SECONDS = 1.0


class ClockWatch:
    """Journals every wall-clock step of ``clock`` into ``journal`` until stopped."""

    def __init__(self, journal: JournalWriter, clock: Clock, *, check_seconds: float = CHECK_SECONDS) -> None:
        self._journal = journal
        self._clock = clock
        self._detector = ClockStepDetector(clock)
        self._check_seconds = check_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="clock-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (one last check first, so a step just before the stop is journaled)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.check()

    def check(self) -> ClockStepEvent | None:
        """Compare the clocks now; journal and return the step when there is one."""
        step = self._detector.check()
        if step is None:
            return None
        event = ClockStepEvent(
            step_seconds=step.seconds,
            expected=step.expected.isoformat(),
            observed=step.observed.isoformat(),
            reason="wall clock stepped while recording",
        )
        logger.warning("wall clock stepped by %+.3f s (expected %s)", step.seconds, event.expected)
        self._journal.append(event, at=step.observed)
        return event

    def _run(self) -> None:
        while not self._clock.wait(self._stop, self._check_seconds):
            self.check()
