"""An independent check of live HLS playlists against RFC 8216's rules, revision by revision.

Parsing is the ``m3u8`` package's (PyPI), not ours; the rules between revisions are written here from
the RFC (sections 4.3.3 and 6.2.2): the target duration never changes and bounds every segment, a
segment keeps its media sequence number and URI for as long as it is listed, the media sequence grows
by the number of segments removed from the head, the discontinuity sequence by the discontinuities
removed with them, only new segments are appended, the playlist never holds less than three target
durations once it has removed any, and a playlist that goes on has no EXT-X-ENDLIST.
"""

from __future__ import annotations

from dataclasses import dataclass

import m3u8


class PlaylistRuleError(AssertionError):
    """A playlist revision breaks a rule of RFC 8216 (the message names the rule and the revision)."""


@dataclass(frozen=True, slots=True)
class _Listed:
    sequence: int
    uri: str
    duration: float
    discontinuity: bool
    init_uri: str | None


class LivePlaylistHistory:
    """Feed it every revision of one live media playlist, in the order they were served."""

    def __init__(self) -> None:
        self.revisions = 0
        self.target: int | None = None
        self._listed: list[_Listed] = []
        self._media_sequence: int | None = None
        self._discontinuity_sequence = 0
        self._uri_of: dict[int, str] = {}
        self._removed_any = False
        self.ended = False
        self.discontinuities_seen: set[int] = set()  # sequence numbers of segments after a discontinuity

    def check(self, text: str, *, live: bool = True) -> None:
        """Check ``text`` as the next revision; ``live`` when the broadcast is known to go on.
        Raises PlaylistRuleError naming what is wrong."""
        self.revisions += 1
        label = f"revision {self.revisions}"
        if not text.startswith("#EXTM3U"):
            raise PlaylistRuleError(f"{label}: does not start with #EXTM3U")
        playlist = m3u8.loads(text)
        if playlist.is_variant:
            raise PlaylistRuleError(f"{label}: a multivariant playlist where a media playlist belongs")
        if self.ended:
            raise PlaylistRuleError(f"{label}: changed after it had ended")
        if playlist.target_duration is None:
            raise PlaylistRuleError(f"{label}: no EXT-X-TARGETDURATION")
        target = int(playlist.target_duration)
        if self.target is not None and target != self.target:
            raise PlaylistRuleError(f"{label}: EXT-X-TARGETDURATION changed from {self.target} to {target}")
        self.target = target
        if playlist.is_endlist:
            if live:
                raise PlaylistRuleError(f"{label}: EXT-X-ENDLIST in a playlist that goes on")
            self.ended = True
        media_sequence = int(playlist.media_sequence or 0)
        discontinuity_sequence = int(playlist.discontinuity_sequence or 0)
        listed = [
            _Listed(
                media_sequence + index,
                segment.uri,
                float(segment.duration),
                bool(segment.discontinuity),
                segment.init_section.uri if segment.init_section is not None else None,
            )
            for index, segment in enumerate(playlist.segments)
        ]
        for segment in listed:
            if round(segment.duration) > target:
                raise PlaylistRuleError(
                    f"{label}: segment {segment.sequence} lasts {segment.duration} s, longer than the "
                    f"target duration {target} s (rounded)"
                )
            if segment.init_uri is None:
                raise PlaylistRuleError(f"{label}: segment {segment.sequence} has no EXT-X-MAP before it")
            known = self._uri_of.setdefault(segment.sequence, segment.uri)
            if known != segment.uri:
                raise PlaylistRuleError(
                    f"{label}: media sequence {segment.sequence} was {known}, now {segment.uri}"
                )
            if segment.discontinuity:
                self.discontinuities_seen.add(segment.sequence)
        if len({s.uri for s in listed}) != len(listed):
            raise PlaylistRuleError(f"{label}: a segment URI is listed twice")
        self._check_against_previous(label, media_sequence, discontinuity_sequence, listed)
        if self._removed_any and listed and not self.ended and sum(s.duration for s in listed) < 3 * target:
            raise PlaylistRuleError(f"{label}: holds less than three target durations after a removal")
        self._media_sequence = media_sequence
        self._discontinuity_sequence = discontinuity_sequence
        self._listed = listed

    def _check_against_previous(
        self, label: str, media_sequence: int, discontinuity_sequence: int, listed: list[_Listed]
    ) -> None:
        if self._media_sequence is None:
            return
        removed_count = media_sequence - self._media_sequence
        if removed_count < 0:
            raise PlaylistRuleError(f"{label}: EXT-X-MEDIA-SEQUENCE went back to {media_sequence}")
        if removed_count > len(self._listed):
            raise PlaylistRuleError(
                f"{label}: EXT-X-MEDIA-SEQUENCE grew by {removed_count}, more than the "
                f"{len(self._listed)} segments listed before"
            )
        removed, kept = self._listed[:removed_count], self._listed[removed_count:]
        if listed[: len(kept)] != kept:
            raise PlaylistRuleError(f"{label}: the segments still listed changed (only appending is allowed)")
        if removed:
            self._removed_any = True
        expected = self._discontinuity_sequence + sum(1 for s in removed if s.discontinuity)
        if discontinuity_sequence != expected:
            raise PlaylistRuleError(
                f"{label}: EXT-X-DISCONTINUITY-SEQUENCE is {discontinuity_sequence}, expected {expected} "
                f"after removing {len(removed)} segments"
            )


@dataclass(frozen=True, slots=True)
class VariantStream:
    uri: str
    bandwidth: int
    codecs: list[str]
    resolution: tuple[int, int] | None


def check_multivariant(text: str) -> list[VariantStream]:
    """Parse a multivariant playlist; raise PlaylistRuleError unless every variant states BANDWIDTH
    and CODECS (and RESOLUTION when it has video)."""
    playlist = m3u8.loads(text)
    if not playlist.is_variant or not playlist.playlists:
        raise PlaylistRuleError("not a multivariant playlist (no EXT-X-STREAM-INF)")
    variants = []
    for variant in playlist.playlists:
        info = variant.stream_info
        if not info.bandwidth or not info.codecs:
            raise PlaylistRuleError(f"variant {variant.uri}: BANDWIDTH and CODECS are required")
        codecs = [codec.strip() for codec in info.codecs.split(",")]
        if any(codec.startswith("avc1.") for codec in codecs) and info.resolution is None:
            raise PlaylistRuleError(f"variant {variant.uri}: video without RESOLUTION")
        variants.append(VariantStream(variant.uri, int(info.bandwidth), codecs, info.resolution))
    return variants
