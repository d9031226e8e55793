"""What one recording holds, summarised from its journal: the shape in which capture agents report a
recording to the portal and in which the portal's bucket scan finds it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from archive.export.playlist import tracks_from_journal
from archive.journal.events import parse_event
from archive.journal.format import JournalLine
from archive.journal.run_events import StartEvent, StopEvent
from archive.journal.signing.anchor import CheckpointHead, last_head


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
    device_id: str = ""
    checkpoint: CheckpointHead | None = None  # the latest signed checkpoint: the portal anchors it


def summarize_journal(recording_id: str, prefix: str, lines: Sequence[JournalLine]) -> RecordingSummary:
    """Summarise a journal's lines: the first start event's court/room/case and streams, the
    segments and duration per stream, and the last stop. Raises JournalError for a line that is not
    a valid event."""
    events = [(line, parse_event(line)) for line in lines]
    start = next(((line, e) for line, e in events if isinstance(e, StartEvent)), None)
    stop = next((line for line, e in reversed(events) if isinstance(e, StopEvent)), None)
    tracks = tracks_from_journal(lines)
    # the media streams ("N 路画面/声音"); a GPS track is timed metadata beside them, not a stream to play
    declared = [s.name for s in start[1].streams if s.data is None] if start else []
    return RecordingSummary(
        recording_id=recording_id,
        court=start[1].court if start else "",
        room=start[1].room if start else "",
        case=(start[1].case or "") if start else "",
        streams=tuple(declared or sorted(tracks)),
        segment_count=sum(len(t.segments) for t in tracks.values()),
        duration_seconds=round(max((t.duration for t in tracks.values()), default=0.0), 3),
        started_at=_parse_time(start[0].at) if start else None,
        ended_at=_parse_time(stop.at) if stop else None,
        complete=stop is not None,
        prefix=prefix,
        device_id=start[1].device_id if start else "",
        checkpoint=last_head(recording_id, lines),
    )


def _parse_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
