"""The tracks a replay plays: the broadcast camera and the room's microphone of one recording, cut down
to the segments the replay window allows, and the HLS playlists listing them.

The public only ever sees these two streams, and of them only the allowed segments: the playlists
list portal URLs (``/notices/{id}/replay/{part}/objects/{stream}/{file}``), and each such request
checks the replay again before it redirects to a presigned GET that lives at most two minutes.
Where segments were left out (a cut), the playlist marks a discontinuity. Picture and sound are cut
into segments at different moments, so each leaves out every segment of its own that touches a cut:
around a cut the sound's gap may begin earlier or end later than the picture's by up to a segment
(players place both by their timestamps, which come from one clock in the recording).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass

from archive.export import PlaylistSegment, RecordingTracks, StreamTrack, build_vod_playlist
from archive.formats import MIXED_SOUND_STREAM
from portal.replays.policy import ReplayWindow
from portal.review.journal_marks import JournalMarks

_OBJECT_NAME = re.compile(r"^(init\.mp4|init-run[0-9]{3}\.mp4|[0-9]{8}\.m4s)$")
NOMINAL_BANDWIDTH = 2_000_000  # bits/s: one variant only, so players never choose by it


@dataclass(frozen=True, slots=True)
class ReplayTracks:
    """One recording's replay: its picture (None: sound only) and sound (None: the picture's own or
    none), each holding only the segments the window allows."""

    recording: RecordingTracks
    picture: StreamTrack | None
    sound: StreamTrack | None

    @property
    def playable(self) -> bool:
        return self.main is not None

    @property
    def main(self) -> StreamTrack | None:
        """The track the player opens: the picture, else the sound."""
        return self.picture if self.picture is not None else self.sound

    def track(self, stream: str) -> StreamTrack | None:
        """The replay's track of ``stream`` (None for any other stream of the recording)."""
        return next((t for t in (self.picture, self.sound) if t is not None and t.stream == stream), None)

    def object_key(self, stream: str, name: str) -> str | None:
        """The object key of ``stream``/``name`` if it is an allowed segment (or an init one of them
        uses) of this replay; None otherwise."""
        track = self.track(stream)
        relative = f"{stream}/{name}"
        if track is None or not _OBJECT_NAME.match(name):
            return None
        if track.find(relative) is None and relative not in track.inits:
            return None
        return self.recording.object_key(relative)


def room_sound(tracks: Mapping[str, StreamTrack], configured: str) -> str:
    """The stream a replay takes the courtroom's sound from: the recorder's microphones' mix (``mix``)
    when it was recorded, else the ``configured`` microphone when it was, else the recording's one
    microphone when it has exactly one; "" when none of these (the camera's own sound, if any).
    ``configured`` "" keeps the camera's own sound always (as for the live broadcast)."""
    if not configured:
        return ""
    microphones = sorted(
        name
        for name, track in tracks.items()
        if track.audio_only and "." not in name  # ``cam.audio`` is a camera's own sound, not a microphone
    )
    if MIXED_SOUND_STREAM in microphones:
        return MIXED_SOUND_STREAM
    if configured in microphones:
        return configured
    return microphones[0] if len(microphones) == 1 else ""


def replay_tracks(
    tracks: RecordingTracks, window: ReplayWindow, *, picture_stream: str, sound_stream: str
) -> ReplayTracks:
    """The replay of ``tracks``: the ``picture_stream`` camera and the courtroom's sound chosen by
    :func:`room_sound` (``sound_stream`` is the configured microphone), cut to ``window``; the camera's
    own sound only when the room's is not recorded (as the live broadcast prefers the room's sound)."""
    picture = _allowed(tracks.tracks.get(picture_stream), window)
    chosen = room_sound(tracks.tracks, sound_stream)
    sound = _allowed(tracks.tracks.get(chosen), window) if chosen else None  # a microphone's, never a picture
    return ReplayTracks(tracks, picture, sound)


def without_sealed(tracks: RecordingTracks, marks: JournalMarks) -> RecordingTracks:
    """``tracks`` less every segment that overlaps a sealed span (the replay then marks the hole)."""
    if not marks.sealed:
        return tracks
    kept = {}
    for stream, track in tracks.tracks.items():
        sealed = marks.sealed_objects(stream)
        segments = tuple(s for s in track.segments if s.object not in sealed)
        kept[stream] = dataclasses.replace(track, segments=segments)
    return dataclasses.replace(tracks, tracks=kept)


def _allowed(track: StreamTrack | None, window: ReplayWindow) -> StreamTrack | None:
    """``track`` with only the segments ``window`` may show (None when none is left); a segment after
    a left-out one starts a discontinuity."""
    if track is None:
        return None
    kept: list[PlaylistSegment] = []
    previous: int | None = None
    for segment in track.segments:
        if not window.may_show(segment.started_at, segment.ended_at):
            continue
        follows = previous is not None and segment.segment == previous + 1
        after_hole = bool(kept) and not follows and not segment.discontinuity
        kept.append(dataclasses.replace(segment, discontinuity=True) if after_hole else segment)
        previous = segment.segment
    return StreamTrack(track.stream, tuple(kept), track.declaration) if kept else None


def media_playlist(route: str, track: StreamTrack) -> str:
    """The VOD playlist of ``track``; its URLs go through the portal ``route``."""
    return build_vod_playlist(
        track,
        segment_url=lambda segment: f"{route}/objects/{segment.object}",
        init_url=lambda init: f"{route}/objects/{init}",
    )


def multivariant_playlist(route: str, replay: ReplayTracks) -> str:
    """The replay's multivariant playlist: the picture with the microphone as its audio rendition (or
    the one track alone)."""
    main = replay.main
    assert main is not None
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    group = ""
    if replay.picture is not None and replay.sound is not None:
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="sound",NAME="法庭声音",LANGUAGE="zh",DEFAULT=YES,'
            f'AUTOSELECT=YES,URI="{route}/playlist.m3u8?stream={replay.sound.stream}"'
        )
        group = ',AUDIO="sound"'
    video = main.declaration.video if main.declaration is not None else None
    resolution = f",RESOLUTION={video.width}x{video.height}" if video is not None else ""
    lines.append(f"#EXT-X-STREAM-INF:BANDWIDTH={NOMINAL_BANDWIDTH}{resolution}{group}")
    lines.append(f"{route}/playlist.m3u8?stream={main.stream}")
    return "\n".join(lines) + "\n"
