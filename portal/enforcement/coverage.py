"""Whether enough devices were recording throughout an enforcement action (the coverage rule).

A device counts as recording from a heartbeat that says ``recording`` until its next heartbeat (at
most the offline threshold later: a device that falls silent is not presumed to record), and over
the span of each of its recordings in the index. The action's window is [start, end), or up to now
while it is under way. Pure functions: the caller reads the intervals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

Interval = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A stretch of the action with fewer devices recording than required."""

    start: datetime
    end: datetime
    recording: int


@dataclass(frozen=True, slots=True)
class Coverage:
    """The coverage of one action: the rule, how many devices record now, and every shortfall."""

    required: int
    recording_now: int
    shortfalls: tuple[Shortfall, ...]

    @property
    def satisfied(self) -> bool:
        return not self.shortfalls


@dataclass(frozen=True, slots=True)
class Beat:
    """A heartbeat as coverage needs it."""

    at: datetime
    recording: bool


def heartbeat_intervals(beats: Sequence[Beat], *, offline: timedelta) -> list[Interval]:
    """Spans a device was recording by its heartbeats (``beats`` in time order)."""
    spans = []
    for index, beat in enumerate(beats):
        if not beat.recording:
            continue
        limit = beat.at + offline
        following = beats[index + 1].at if index + 1 < len(beats) else limit
        spans.append((beat.at, min(following, limit)))
    return spans


def coverage(
    per_device: Iterable[Sequence[Interval]], required: int, window: Interval, *, now: datetime
) -> Coverage:
    """How ``required`` devices covered ``window`` given each device's recording spans."""
    start, end = window
    events: list[tuple[datetime, int]] = []
    recording_now = 0
    for spans in per_device:
        merged = _merge(spans)
        recording_now += any(a <= now < b for a, b in merged)
        for span_start, span_end in merged:
            a, b = max(span_start, start), min(span_end, end)
            if a < b:
                events += [(a, 1), (b, -1)]
    events.sort(key=lambda e: (e[0], e[1]))
    shortfalls: list[Shortfall] = []
    count, cursor = 0, start
    for moment, change in [*events, (end, 0)]:
        if moment > cursor and count < required:
            _extend(shortfalls, Shortfall(cursor, moment, count))
        count += change
        cursor = max(cursor, moment)
    return Coverage(required, recording_now, tuple(shortfalls))


def _merge(spans: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _extend(shortfalls: list[Shortfall], gap: Shortfall) -> None:
    last = shortfalls[-1] if shortfalls else None
    if last is not None and last.end == gap.start:
        shortfalls[-1] = Shortfall(last.start, gap.end, min(last.recording, gap.recording))
    else:
        shortfalls.append(gap)
