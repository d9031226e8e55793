"""A rotating sample for fixity audits that covers every object within a configured period.

Each object key has a fixed position on a ring [0, 1) (from its SHA-256). The ring turns once per
period: a run at time t covers the arc from the phase of the previous run to the phase of t. However
often or irregularly the audit runs, consecutive windows join up, so every object is re-hashed at
least once per period; after a gap of a whole period or more (or with no earlier run to continue
from, more than one day), a run covers the full ring. The first run of a schedule covers one day's arc.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_FIRST_RUN_SPAN = timedelta(days=1)


def ring_position(key: str) -> float:
    """The fixed position of ``key`` on the ring, in [0, 1)."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") / 2**64


def phase(at: datetime, period: timedelta) -> float:
    """Where the ring stands at ``at`` (timezone-aware), in [0, 1)."""
    return (at.astimezone(UTC).timestamp() / period.total_seconds()) % 1.0


@dataclass(frozen=True, slots=True)
class SampleWindow:
    """The arc [start, end) of the ring a run covers (wrapping past 1.0), or the full ring."""

    period_seconds: float
    start: float
    end: float
    full: bool

    def contains(self, position: float) -> bool:
        if self.full:
            return True
        if self.start <= self.end:
            return self.start <= position < self.end
        return position >= self.start or position < self.end

    @property
    def fraction(self) -> float:
        """The share of the ring covered."""
        return 1.0 if self.full else (self.end - self.start) % 1.0


def next_window(period: timedelta, now: datetime, previous_run_at: datetime | None) -> SampleWindow:
    """The window of a run at ``now`` that follows a run at ``previous_run_at`` (None: no earlier run).

    ValueError for a period shorter than one minute or a naive datetime.
    """
    if period < timedelta(minutes=1):
        raise ValueError(f"the sample period must be at least one minute (got {period})")
    if now.tzinfo is None or (previous_run_at is not None and previous_run_at.tzinfo is None):
        raise ValueError("audit times must be timezone-aware")
    since = (
        previous_run_at if previous_run_at is not None and previous_run_at < now else now - _FIRST_RUN_SPAN
    )
    seconds = period.total_seconds()
    if now - since >= period:
        return SampleWindow(seconds, phase(now, period), phase(now, period), full=True)
    return SampleWindow(seconds, phase(since, period), phase(now, period), full=False)
