"""A recording's timeline as the player shows it: the continuous runs of a stream and the breaks
between them (a restart, a fault, a pause: every place the journal says the picture did not go on)."""

from __future__ import annotations

from dataclasses import dataclass

from archive.export import StreamTrack


@dataclass(frozen=True, slots=True)
class TimelineRun:
    """Segments played without a break: from ``start`` to ``end`` seconds of the player's time."""

    start: float
    end: float
    segments: int
    percent: float  # of the whole playing time (for the bar)
    after_break: bool  # a break (gap) comes before this run


@dataclass(frozen=True, slots=True)
class Timeline:
    """The runs of one stream and its number of breaks."""

    runs: tuple[TimelineRun, ...]
    total_seconds: float

    @property
    def breaks(self) -> int:
        return sum(1 for run in self.runs if run.after_break)


def track_timeline(track: StreamTrack) -> Timeline:
    """The runs of ``track`` split at every discontinuity after its first segment."""
    total = track.duration
    runs: list[TimelineRun] = []
    start = position = 0.0
    count = 0
    after_break = False
    for index, segment in enumerate(track.segments):
        if index > 0 and segment.discontinuity:
            runs.append(_run(start, position, count, total, after_break))
            start, count, after_break = position, 0, True
        position += segment.duration
        count += 1
    if count:
        runs.append(_run(start, position, count, total, after_break))
    return Timeline(tuple(runs), total)


def _run(start: float, end: float, segments: int, total: float, after_break: bool) -> TimelineRun:
    percent = 100.0 * (end - start) / total if total > 0 else 100.0
    return TimelineRun(start, end, segments, round(percent, 3), after_break)
