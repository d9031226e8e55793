"""The public live HLS media playlist: what was published, rendered by :mod:`archive.formats.hls`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from archive.formats.hls import MediaEntry, render_media_playlist


def live_target_duration(segment_seconds: float) -> int:
    """The fixed EXT-X-TARGETDURATION of a live playlist whose segments aim at ``segment_seconds``:
    room for a keyframe that comes late, and the packager's cap (no segment ever lasts longer)."""
    return math.ceil(segment_seconds * 1.5)


@dataclass(frozen=True, slots=True)
class PublishedSegment:
    """A segment already published: its file, init file, media sequence number and duration (s)."""

    name: str
    init_name: str
    sequence: int
    duration: float
    discontinuity: bool  # the first segment after a cut/resume (a new encoder set-up)


def render_playlist(
    segments: Sequence[PublishedSegment],
    *,
    next_sequence: int,
    discontinuity_sequence: int,
    target_seconds: int,
    ended: bool,
) -> str:
    """The live playlist text for ``segments`` (oldest first); ``ended`` appends EXT-X-ENDLIST.

    An empty playlist states ``next_sequence``, the number its first segment will have (a player that
    saw it must not take that segment for a renumbered one). The target duration is the same in every
    revision (RFC 8216 forbids changing it): segments are made to fit it (see packager.py). Segments
    are not declared independent, since one may be cut between keyframes when a source's keyframes
    come too seldom.
    """
    entries = [
        MediaEntry(uri=s.name, init_uri=s.init_name, duration=s.duration, discontinuity=s.discontinuity)
        for s in segments
    ]
    return render_media_playlist(
        entries,
        media_sequence=segments[0].sequence if segments else next_sequence,
        target_seconds=target_seconds,
        discontinuity_sequence=discontinuity_sequence,
        ended=ended,
        independent_segments=False,
    )
