"""Rendering the public live HLS media playlist (fMP4, RFC 8216 version 7)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


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
    target = max([math.ceil(s.duration) for s in segments] + [math.ceil(target_seconds)])
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{target}",
        f"#EXT-X-MEDIA-SEQUENCE:{segments[0].sequence if segments else 0}",
        f"#EXT-X-DISCONTINUITY-SEQUENCE:{discontinuity_sequence}",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    current_init = None
    for segment in segments:
        if segment.discontinuity:
            lines.append("#EXT-X-DISCONTINUITY")
        if segment.init_name != current_init:
            lines.append(f'#EXT-X-MAP:URI="{segment.init_name}"')
            current_init = segment.init_name
        lines.append(f"#EXTINF:{segment.duration:.3f},")
        lines.append(segment.name)
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
