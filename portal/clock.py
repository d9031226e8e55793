"""The portal's clock: timezone-aware UTC wall time, injectable so tests can move time.

The portal only needs wall time, so its ``Clock`` asks for ``now()`` alone; any ``timebase.Clock``
(the seam the other packages use, which also has monotonic time and waits) fits it, and the
portal's ``SystemClock`` is that one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

import timebase


class Clock(Protocol):
    """Where the portal reads the current time from."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


SystemClock = timebase.SystemClock


class FrozenClock:
    """A clock that only moves when told to (tests, benchmarks)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("'start' must be timezone-aware")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The frozen time."""
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        self._now += delta

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (timezone-aware)."""
        if moment.tzinfo is None:
            raise ValueError("'moment' must be timezone-aware")
        self._now = moment.astimezone(UTC)
