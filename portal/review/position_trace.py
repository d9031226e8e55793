"""A recording's GPS track for the review player: its positions, checked against the journal, timed on
the played camera's timeline, drawn by the page over a plain grid (no map tiles).

Only positions whose segment's bytes match their journaled SHA-256 are drawn: a changed segment is
left out and named in ``problems`` (the player says the track is incomplete), never drawn as if true.
"""

from __future__ import annotations

from datetime import datetime

from archive import ArchiveError
from archive.export import RecordingTracks, StreamTrack
from archive.formats import POSITION_KIND, parse_position_lines, sha256_bytes
from archive.store import ObjectStore
from portal.errors import NotFoundError, StoreError

MAX_POINTS = 20_000  # about 5.5 hours at one fix a second: a page draws more than it needs beyond that


def position_stream(tracks: RecordingTracks) -> str | None:
    """The name of the recording's GPS track with at least one segment, or None."""
    for name in sorted(tracks.data):
        track = tracks.data[name]
        if track.declaration.kind == POSITION_KIND and track.segments:
            return name
    return None


def position_trace(
    tracks: RecordingTracks, camera: StreamTrack, store: ObjectStore | None
) -> dict[str, object]:
    """``{"stream", "points": [[lat, lon, seconds], …], "problems": [...]}`` where ``seconds`` count
    from the start of ``camera``'s first segment (its playback time 0). Blocking (one GET a segment).

    Raises NotFoundError when the recording has no GPS track, StoreError when the store fails.
    """
    stream = position_stream(tracks)
    if stream is None:
        raise NotFoundError("该录像没有定位轨迹")
    if store is None:
        raise StoreError("no recording archive is configured")
    zero = tracks.starts.get(camera.stream) or tracks.starts.get(stream)
    origin = None if zero is None else datetime.fromisoformat(zero)
    points: list[list[float]] = []
    problems: list[str] = []
    for segment in tracks.data[stream].segments:
        try:
            data = store.read_bytes(tracks.object_key(segment.object))
        except ArchiveError as exc:
            problems.append(f"{segment.object}: unreadable ({exc})")
            continue
        if sha256_bytes(data) != segment.sha256:
            problems.append(f"{segment.object}: does not match its journaled SHA-256; left out")
            continue
        try:
            records = parse_position_lines(data, where=segment.object)
        except ArchiveError as exc:
            problems.append(str(exc))
            continue
        for record in records:
            seconds = 0.0 if origin is None else (record.fix_datetime - origin).total_seconds()
            points.append([record.lat, record.lon, round(seconds, 3)])
    return {"stream": stream, "points": points[:MAX_POINTS], "problems": problems}
