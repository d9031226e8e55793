"""The public live HLS media playlist: what was published, rendered by :mod:`archive.formats.hls`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from archive.formats.hls import MediaEntry, render_media_playlist, target_duration


@dataclass(frozen=True, slots=True)
class PublishedSegment:
    """A segment already published: its file, init file, media sequence number and duration (s)."""

    name: str
    init_name: str
    sequence: int
    duration: float
    discontinuity: bool  # the first segment after a cut/resume (a new encoder set-up)


def render_playlist(
    segments: Sequence[PublishedSegment], *, discontinuity_sequence: int, target_seconds: float, ended: bool
) -> str:
    """The playlist text for ``segments`` (oldest first); ``ended`` appends EXT-X-ENDLIST."""
    entries = [
        MediaEntry(uri=s.name, init_uri=s.init_name, duration=s.duration, discontinuity=s.discontinuity)
        for s in segments
    ]
    return render_media_playlist(
        entries,
        media_sequence=segments[0].sequence if segments else 0,
        target_seconds=target_duration(entries, at_least=target_seconds),
        discontinuity_sequence=discontinuity_sequence,
        ended=ended,
    )
