"""Playback playlists: HLS VOD playlists (RFC 8216, version 7, fMP4) built from a recording's journal.

The journal is the authority on what a recording holds: every sealed ``init`` and ``segment`` line
names its object (relative to the recording's prefix), its SHA-256 and its duration. The playlist
lists them in journal order per stream. Where the initialization segment changes (the agent was
restarted after a crash) or the journal declares a gap, an ``EXT-X-DISCONTINUITY`` is written so a
player resets its timeline instead of guessing.

URLs are not decided here: the caller passes callbacks that turn an object into a URL (the portal
routes them through an authorization check, or presigns them), so this module never signs anything.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from archive.errors import JournalError
from archive.export.data_tracks import DataTrack, data_tracks_from_journal, first_segment_starts
from archive.formats.hls import MediaEntry, render_media_playlist, target_duration
from archive.formats.identifiers import check_identifier
from archive.journal.chain import ChainReport, read_chain
from archive.journal.events import parse_event
from archive.journal.format import JournalLine
from archive.journal.incident_events import GapEvent
from archive.journal.run_events import StartEvent, StopEvent
from archive.journal.segment_events import SegmentEvent
from archive.journal.stream_declaration import StreamDeclaration
from archive.preservation.verify import find_prefix

if TYPE_CHECKING:
    from archive.store.object_store import ObjectStore


@dataclass(frozen=True, slots=True)
class PlaylistSegment:
    """One sealed media segment of a stream, as journaled.

    ``object`` is relative to the recording's prefix; ``duration`` is in seconds; ``discontinuity``
    is True when a player must reset its timeline before this segment (new init, or a declared gap).
    ``started_at`` / ``ended_at`` are the journaled wall-clock times (timezone-aware UTC; None when
    the journal does not know them).
    """

    stream: str
    segment: int
    object: str
    init: str
    duration: float
    sha256: str
    discontinuity: bool = False
    started_at: datetime | None = None
    ended_at: datetime | None = None

    def __post_init__(self) -> None:
        if not math.isfinite(self.duration) or self.duration < 0:
            raise ValueError(f"'duration' must be a finite number >= 0 (got {self.duration!r})")
        if self.segment < 1:
            raise ValueError(f"'segment' must be >= 1 (got {self.segment})")


@dataclass(frozen=True, slots=True)
class StreamTrack:
    """Every sealed segment of one stream, in journal order, and what the stream encodes (as its
    last start event declared it; None when no start event declared it)."""

    stream: str
    segments: tuple[PlaylistSegment, ...]
    declaration: StreamDeclaration | None = None

    @property
    def has_video(self) -> bool:
        """Whether the stream carries pictures (assumed when undeclared)."""
        return self.declaration is None or self.declaration.video is not None

    @property
    def audio_only(self) -> bool:
        """Whether the stream carries sound and no pictures (a microphone)."""
        return (
            self.declaration is not None
            and self.declaration.video is None
            and (self.declaration.audio is not None)
        )

    @property
    def duration(self) -> float:
        """Total duration in seconds."""
        return sum(segment.duration for segment in self.segments)

    def find(self, object_name: str) -> PlaylistSegment | None:
        """The segment whose object (relative to the prefix) is ``object_name``, or None."""
        return next((s for s in self.segments if s.object == object_name), None)

    @property
    def inits(self) -> frozenset[str]:
        """The initialization segments (relative object names) this track's segments use."""
        return frozenset(segment.init for segment in self.segments)


@dataclass(frozen=True, slots=True)
class RecordingTracks:
    """What a recording's journal says can be played: its prefix, tracks per stream, and whether it
    has ended (a stop event was journaled). ``problems`` lists breaks in the journal's hash chain."""

    recording_id: str
    prefix: str
    tracks: Mapping[str, StreamTrack]
    finished: bool
    problems: tuple[str, ...] = field(default=())
    data: Mapping[str, DataTrack] = field(default_factory=dict)
    """The timed-metadata streams (a GPS track), by stream name."""
    starts: Mapping[str, str] = field(default_factory=dict)
    """Each stream's first segment start (ISO 8601 UTC), media and data streams alike."""

    def object_key(self, relative: str) -> str:
        """The full object key of an object named relative to the recording's prefix."""
        return f"{self.prefix}/{relative}"


def tracks_from_journal(lines: Iterable[JournalLine]) -> dict[str, StreamTrack]:
    """Group the journal's media segment events into one track per stream, in journal order
    (timed-metadata streams are left out: see :func:`data_tracks_from_journal`).

    Raises JournalError naming the line's seq when a line is not a valid event, or a segment has
    no init or duration to play it with.
    """
    segments: dict[str, list[PlaylistSegment]] = {}
    declared: dict[str, StreamDeclaration] = {}
    last_init: dict[str, str] = {}
    gap_pending: set[str] = set()
    for line in lines:
        event = parse_event(line)
        if isinstance(event, StartEvent):
            declared.update((stream.name, stream) for stream in event.streams)
            continue
        if isinstance(event, GapEvent):
            gap_pending.update(segments)
            continue
        if not isinstance(event, SegmentEvent):
            continue
        declaration = declared.get(event.stream)
        if declaration is not None and declaration.data is not None:
            continue  # timed metadata (a GPS track): sealed like media, but nothing to play
        segment = _playlist_segment(event, line.seq)
        stream = segment.stream
        new_init = stream in last_init and last_init[stream] != segment.init
        if new_init or stream in gap_pending:
            segment = _with_discontinuity(segment)
        gap_pending.discard(stream)
        last_init[stream] = segment.init
        segments.setdefault(stream, []).append(segment)
    return {
        stream: StreamTrack(stream, tuple(items), declared.get(stream)) for stream, items in segments.items()
    }


def load_tracks(store: ObjectStore, recording_id: str) -> RecordingTracks:
    """Read the recording's journal chunks from ``store`` and return its tracks.

    Blocking (several GETs): async callers use ``asyncio.to_thread``. Raises ArchiveError when the
    recording is not in the bucket or the store cannot be read, JournalError for malformed segment
    events. Breaks in the hash chain do not raise; they are reported in ``problems``.
    """
    return load_tracks_and_journal(store, recording_id)[0]


def load_tracks_and_journal(store: ObjectStore, recording_id: str) -> tuple[RecordingTracks, ChainReport]:
    """:func:`load_tracks`, and the journal chain it read them from (for readers that need more of
    the journal than the tracks, e.g. the portal's timeline marks): one read of the journal."""
    check_identifier(recording_id, what="recording id")
    prefix = find_prefix(store, recording_id)
    journal_prefix = f"{prefix}/journal/"
    keys = sorted(stored.key for stored in store.list_objects(journal_prefix))
    chain = read_chain((key.removeprefix(f"{prefix}/"), store.read_bytes(key)) for key in keys)
    tracks = RecordingTracks(
        recording_id=recording_id,
        prefix=prefix,
        tracks=tracks_from_journal(chain.lines),
        finished=any(isinstance(parse_event(line), StopEvent) for line in chain.lines),
        problems=tuple(chain.problems),
        data=data_tracks_from_journal(chain.lines),
        starts=first_segment_starts(chain.lines),
    )
    return tracks, chain


def build_vod_playlist(
    track: StreamTrack,
    *,
    segment_url: Callable[[PlaylistSegment], str],
    init_url: Callable[[str], str],
) -> str:
    """The HLS VOD media playlist of ``track`` (EXT-X-VERSION 7, EXT-X-MAP, EXTINF, EXT-X-ENDLIST).

    ``segment_url`` maps a segment to the URL the player fetches, ``init_url`` maps an init object
    name (relative to the prefix) to its URL. Lines end with LF, as RFC 8216 allows. Raises ValueError
    for a track without segments or a URL containing a quote or a line break.
    """
    if not track.segments:
        raise ValueError(f"stream {track.stream!r} has no sealed segments to play")
    entries = [
        MediaEntry(
            uri=segment_url(segment),
            init_uri=init_url(segment.init),
            duration=segment.duration,
            discontinuity=segment.discontinuity and position > 0,
        )
        for position, segment in enumerate(track.segments)
    ]
    return render_media_playlist(
        entries,
        media_sequence=track.segments[0].segment,
        target_seconds=target_duration(entries),
        vod=True,
    )


def _playlist_segment(event: SegmentEvent, seq: int) -> PlaylistSegment:
    # a segment journaled without an init or a duration (recovered, not probed) cannot be played
    if event.init is None:
        raise JournalError(f"journal seq {seq}: segment without an init segment to play it with")
    if event.duration is None:
        raise JournalError(f"journal seq {seq}: segment without a duration")
    try:
        return PlaylistSegment(
            stream=event.stream,
            segment=event.segment,
            object=event.object,
            init=event.init,
            duration=float(event.duration),
            sha256=event.sha256,
            started_at=_utc(event.t_start_utc),
            ended_at=_utc(event.t_end_utc),
        )
    except ValueError as exc:
        raise JournalError(f"journal seq {seq}: segment with an invalid value ({exc})") from exc


def _with_discontinuity(segment: PlaylistSegment) -> PlaylistSegment:
    return dataclasses.replace(segment, discontinuity=True)


def _utc(text: str | None) -> datetime | None:
    """A journaled ISO 8601 time as timezone-aware UTC (one without a zone is taken as UTC)."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
