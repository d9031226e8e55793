"""Rendering HLS media playlists (RFC 8216, version 7, fMP4 segments with EXT-X-MAP).

One renderer for the archive's VOD playlists (playback of a recording) and streaming's live public
playlists; each caller decides its entries, target duration and whether the playlist has ended.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

HLS_VERSION = 7


@dataclass(frozen=True, slots=True)
class MediaEntry:
    """One media segment as a playlist lists it: its URI, its init segment's URI, its duration in
    seconds, and whether a player must reset its timeline before it (EXT-X-DISCONTINUITY)."""

    uri: str
    init_uri: str
    duration: float
    discontinuity: bool = False

    def __post_init__(self) -> None:
        if not math.isfinite(self.duration) or self.duration < 0:
            raise ValueError(f"'duration' must be a finite number >= 0 (got {self.duration!r})")
        for name in ("uri", "init_uri"):
            value = getattr(self, name)
            if any(char in value for char in '"\r\n'):
                raise ValueError(f"a playlist URL must not contain quotes or line breaks (got {value!r})")


def target_duration(entries: Sequence[MediaEntry], *, at_least: float = 1.0) -> int:
    """EXT-X-TARGETDURATION for ``entries``: every duration rounded up, and never below ``at_least``."""
    return max([math.ceil(entry.duration) for entry in entries] + [math.ceil(at_least)])


def render_media_playlist(
    entries: Sequence[MediaEntry],
    *,
    media_sequence: int,
    target_seconds: int,
    discontinuity_sequence: int | None = None,
    vod: bool = False,
    ended: bool = False,
    independent_segments: bool = True,
) -> str:
    """The media playlist text for ``entries`` (oldest first), lines ending with LF.

    ``discontinuity_sequence`` adds EXT-X-DISCONTINUITY-SEQUENCE (live playlists); ``vod`` adds
    EXT-X-PLAYLIST-TYPE:VOD; ``ended`` (always, for VOD) appends EXT-X-ENDLIST. EXT-X-MAP is written
    whenever the init segment changes. ``independent_segments`` declares that every segment starts
    with a keyframe (EXT-X-INDEPENDENT-SEGMENTS); leave it out when a segment may not.
    """
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{HLS_VERSION}",
        f"#EXT-X-TARGETDURATION:{target_seconds}",
        f"#EXT-X-MEDIA-SEQUENCE:{media_sequence}",
    ]
    if discontinuity_sequence is not None:
        lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{discontinuity_sequence}")
    if vod:
        lines.append("#EXT-X-PLAYLIST-TYPE:VOD")
    if independent_segments:
        lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
    current_init: str | None = None
    for entry in entries:
        if entry.discontinuity:
            lines.append("#EXT-X-DISCONTINUITY")
        if entry.init_uri != current_init:
            lines.append(f'#EXT-X-MAP:URI="{entry.init_uri}"')
            current_init = entry.init_uri
        lines.append(f"#EXTINF:{entry.duration:.6f},")
        lines.append(entry.uri)
    if ended or vod:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class Variant:
    """One variant stream of a multivariant playlist: its media playlist's URI, its peak bit rate
    (bits/s), its RFC 6381 codecs (e.g. ``avc1.42c01e,mp4a.40.2``) and its picture size, if any."""

    uri: str
    bandwidth: int
    codecs: str
    resolution: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.bandwidth <= 0:
            raise ValueError(f"'bandwidth' must be > 0 bits/s (got {self.bandwidth!r})")
        for value in (self.uri, self.codecs):
            if not value or any(char in value for char in '"\r\n'):
                raise ValueError(
                    f"a variant's URI and codecs must be non-empty, without quotes (got {value!r})"
                )


def render_multivariant_playlist(variants: Sequence[Variant]) -> str:
    """The multivariant (master) playlist listing ``variants``, lines ending with LF: BANDWIDTH,
    CODECS and, for video, RESOLUTION on every EXT-X-STREAM-INF, so a player or CDN can choose
    before downloading any media."""
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{HLS_VERSION}"]
    for variant in variants:
        attributes = [f"BANDWIDTH={variant.bandwidth}", f'CODECS="{variant.codecs}"']
        if variant.resolution is not None:
            attributes.append(f"RESOLUTION={variant.resolution[0]}x{variant.resolution[1]}")
        lines.append(f"#EXT-X-STREAM-INF:{','.join(attributes)}")
        lines.append(variant.uri)
    return "\n".join(lines) + "\n"
