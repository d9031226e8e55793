"""The clock seam: wall time for what is recorded, monotonic time for durations and schedules.

Code that waits (retry schedules, delays, timeouts) takes a :class:`Clock` and defaults to
:class:`SystemClock`; tests pass a :class:`ManualClock` and move time by hand instead of sleeping.
Waiting goes through :meth:`Clock.wait` so that a stop event still interrupts it, and a manual clock
can release it when time is advanced past its deadline.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Where code reads the current time and waits."""

    def now(self) -> datetime:
        """The wall time, timezone-aware UTC: for what is recorded, never for measuring durations."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never jumps back: for durations, timeouts, retries."""
        ...

    def wait(self, event: threading.Event, timeout: float | None = None) -> bool:
        """Block until ``event`` is set or ``timeout`` seconds (monotonic) pass; True when it was set."""
        ...

    def wait_notified(self, condition: threading.Condition, timeout: float | None = None) -> bool:
        """Wait on ``condition`` (whose lock the caller holds) until notified or ``timeout`` seconds
        pass; True when notified (spurious wake-ups are possible: callers re-check their state)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds`` (monotonic)."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The wall time, timezone-aware UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    def wait(self, event: threading.Event, timeout: float | None = None) -> bool:
        """``event.wait(timeout)``."""
        return event.wait(timeout)

    def wait_notified(self, condition: threading.Condition, timeout: float | None = None) -> bool:
        """``condition.wait(timeout)``."""
        return condition.wait(timeout)

    def sleep(self, seconds: float) -> None:
        """``time.sleep(seconds)`` (nothing for zero or less)."""
        if seconds > 0:
            time.sleep(seconds)


_ORIGIN = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


class ManualClock:
    """A clock that moves only when :meth:`advance` is called (tests).

    Wall and monotonic time move together (:meth:`step_wall` steps the wall clock alone). Threads
    blocked in :meth:`wait` or :meth:`sleep` are
    released as soon as their deadline is passed by :meth:`advance` (or their event is set), without
    any real waiting for the time itself.
    """

    _POLL_SECONDS = 0.005  # how often a waiter looks at its event: events cannot notify a condition

    def __init__(self, start: datetime = _ORIGIN, *, monotonic: float = 1000.0) -> None:
        if start.tzinfo is None:
            raise ValueError("'start' must be timezone-aware")
        self._now = start.astimezone(UTC)
        self._monotonic = monotonic
        self._changed = threading.Condition()
        self._waiters = 0

    def now(self) -> datetime:
        """The hand-set wall time."""
        with self._changed:
            return self._now

    def monotonic(self) -> float:
        """The hand-set monotonic time."""
        with self._changed:
            return self._monotonic

    @property
    def waiters(self) -> int:
        """How many threads are blocked in :meth:`wait` or :meth:`sleep` right now."""
        with self._changed:
            return self._waiters

    def advance(self, seconds: float | timedelta) -> None:
        """Move both times forward by ``seconds`` and release waiters whose deadline has passed."""
        step = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
        if step < 0:
            raise ValueError(f"'seconds' must be >= 0 (got {step})")
        with self._changed:
            self._monotonic += step
            self._now += timedelta(seconds=step)
            self._changed.notify_all()

    def step_wall(self, seconds: float | timedelta) -> None:
        """Step the wall clock alone by ``seconds`` (either sign), as NTP or an operator setting the
        time does; monotonic time does not move."""
        step = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
        with self._changed:
            self._now += timedelta(seconds=step)

    def wait(self, event: threading.Event, timeout: float | None = None) -> bool:
        """Block until ``event`` is set or the clock is advanced ``timeout`` seconds past now."""
        with self._changed:
            deadline = None if timeout is None else self._monotonic + timeout
            self._waiters += 1
            try:
                while not event.is_set():
                    if deadline is not None and self._monotonic >= deadline:
                        return False
                    self._changed.wait(self._POLL_SECONDS)
                return True
            finally:
                self._waiters -= 1

    def wait_notified(self, condition: threading.Condition, timeout: float | None = None) -> bool:
        """Wait on ``condition`` until notified or the clock is advanced ``timeout`` seconds past now."""
        deadline = None if timeout is None else self.monotonic() + timeout
        with self._changed:
            self._waiters += 1
        try:
            while not condition.wait(self._POLL_SECONDS):
                if deadline is not None and self.monotonic() >= deadline:
                    return False
            return True
        finally:
            with self._changed:
                self._waiters -= 1

    def sleep(self, seconds: float) -> None:
        """Block until the clock is advanced ``seconds`` past now."""
        self.wait(threading.Event(), seconds)
