"""What one recording holds, summarised from its journal: the shape in which capture agents report a
recording to the portal and in which the portal's bucket scan finds it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archive.export.playlist import tracks_from_journal


@dataclass(frozen=True, slots=True)
class RecordingSummary:
    """What is known about one recording, from an agent's report or from its journal in the bucket."""

    recording_id: str
    court: str
    room: str
    case: str
    streams: tuple[str, ...]
    segment_count: int
    duration_seconds: float
    started_at: datetime | None
    ended_at: datetime | None
    complete: bool
    prefix: str = ""


def summarize_journal(recording_id: str, prefix: str, events: list[Mapping[str, Any]]) -> RecordingSummary:
    """Summarise parsed journal lines: the start event's court/room/case, segments, duration, stop."""
    start = next((e for e in events if e.get("type") == "start"), {})
    stop = next((e for e in reversed(events) if e.get("type") == "stop"), None)
    tracks = tracks_from_journal(events)
    declared = [str(s.get("name")) for s in start.get("streams", []) if isinstance(s, Mapping)]
    return RecordingSummary(
        recording_id=recording_id,
        court=str(start.get("court", "")),
        room=str(start.get("room", "")),
        case=str(start.get("case") or ""),
        streams=tuple(declared or sorted(tracks)),
        segment_count=sum(len(t.segments) for t in tracks.values()),
        duration_seconds=round(max((t.duration for t in tracks.values()), default=0.0), 3),
        started_at=_parse_time(start.get("at")),
        ended_at=_parse_time(stop.get("at")) if stop else None,
        complete=stop is not None,
        prefix=prefix,
    )


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
