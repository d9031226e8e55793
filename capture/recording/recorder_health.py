"""A recording's health now, from its journal and its streams: each stream's active alarm
conditions and the bytes sealed so far."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from archive.journal import AlarmEvent, EventType, JournalLine, SegmentEvent, parse_event
from capture.recording.stream.stream_pipeline import StreamPipeline


@dataclass(frozen=True, slots=True)
class RecorderHealth:
    """A recording's health now: each stream's active problems, and the bytes sealed so far."""

    problems: dict[str, tuple[str, ...]]
    sealed_bytes: int


def recorder_health(
    history: Iterable[JournalLine], names: Sequence[str], pipelines: Sequence[StreamPipeline]
) -> RecorderHealth:
    """Each stream's problems now (its active alarm conditions from the journal: no frames,
    black, frozen, silence …; ``failed`` when its media work failed) and the bytes sealed."""
    active: dict[str, set[str]] = {name: set() for name in names}
    sealed = 0
    for line in history:
        if line.type not in {EventType.ALARM, EventType.SEGMENT}:
            continue
        event = parse_event(line)
        if isinstance(event, SegmentEvent):
            sealed += event.size
        elif isinstance(event, AlarmEvent) and event.stream in active:
            (active[event.stream].add if event.active else active[event.stream].discard)(event.condition)
    for pipeline in pipelines:
        if pipeline.failure is not None:
            active.setdefault(pipeline.name, set()).add("failed")
    problems = {name: tuple(sorted(conditions)) for name, conditions in active.items()}
    return RecorderHealth(problems=problems, sealed_bytes=sealed)
