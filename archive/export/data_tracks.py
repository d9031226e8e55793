"""A recording's timed-metadata streams (a bodycam's GPS track), as its journal lists them.

A data stream is one its start event declares with ``data`` (see
:class:`~archive.journal.stream_declaration.DataDeclaration`); its segments are sealed, hashed and
journaled like media segments, and these are their names, hashes and times in journal order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from archive.journal.events import parse_event
from archive.journal.format import JournalLine
from archive.journal.run_events import StartEvent
from archive.journal.segment_events import SegmentEvent
from archive.journal.stream_declaration import DataDeclaration


@dataclass(frozen=True, slots=True)
class DataSegment:
    """One sealed segment of a data stream: its object (relative to the recording's prefix), its
    journaled SHA-256, and the wall-clock span it covers (ISO 8601 UTC, None when unknown)."""

    segment: int
    object: str
    sha256: str
    t_start_utc: str | None
    t_end_utc: str | None


@dataclass(frozen=True, slots=True)
class DataTrack:
    """Every sealed segment of one data stream, in journal order, and what the stream records."""

    stream: str
    declaration: DataDeclaration
    segments: tuple[DataSegment, ...]


def data_tracks_from_journal(lines: Iterable[JournalLine]) -> dict[str, DataTrack]:
    """The data streams the journal declares, with their segments. Raises JournalError naming the
    line's seq for a line that is not a valid event."""
    declared: dict[str, DataDeclaration] = {}
    segments: dict[str, list[DataSegment]] = {}
    for line in lines:
        event = parse_event(line)
        if isinstance(event, StartEvent):
            for stream in event.streams:
                if stream.data is not None:
                    declared[stream.name] = stream.data
                    segments.setdefault(stream.name, [])
        elif isinstance(event, SegmentEvent) and event.stream in declared:
            segments[event.stream].append(
                DataSegment(event.segment, event.object, event.sha256, event.t_start_utc, event.t_end_utc)
            )
    return {name: DataTrack(name, declared[name], tuple(items)) for name, items in segments.items()}


def first_segment_starts(lines: Iterable[JournalLine]) -> dict[str, str]:
    """Each stream's first journaled segment start (ISO 8601 UTC), for lining a data track up with a
    media stream's timeline (media time 0 of a VOD playlist is its first segment's start)."""
    starts: dict[str, str] = {}
    for line in lines:
        event = parse_event(line)
        if isinstance(event, SegmentEvent) and event.t_start_utc is not None:
            starts.setdefault(event.stream, event.t_start_utc)
    return starts
