"""Playback of a recording: the HLS VOD playlist and the segment URLs behind it — for a party
through a grant, and for the staff of the recording's court.

The playlist (built by ``archive.export.playlist`` from the journal) lists portal URLs, not storage URLs:
``/review/grants/{grant}/objects/{stream}/{file}`` (``/staff/recordings/{id}/objects/…`` for staff).
Each such request checks the access again and only then answers with a redirect to a presigned GET
that lives at most two minutes. So a revoked or expired grant stops new segment URLs at the very next
request, and every issued URL is audited (the URL itself is never logged: it is a bearer token until
it expires).
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from archive import ArchiveError
from archive.export import PlaylistSegment, RecordingTracks, StreamTrack, build_vod_playlist
from archive.formats import MIXED_SOUND_STREAM, audio_track_name
from archive.store import ObjectStore
from portal.audit.trail import AuditAction, AuditEntry
from portal.errors import NotFoundError, PermissionDeniedError, StoreError
from portal.identity.actor import Actor
from portal.models import Grant, Recording
from portal.review.journal_marks import JournalMarks

SEALED_MESSAGE = "此片段属于封存部分，未经法官准许不能查看。"

# an init segment (``init-run002.mp4`` after a restart changed the codec set-up, ``-2`` when a name
# was taken by an unjournaled one) or a media segment
_OBJECT_NAME = re.compile(r"^(init(-run[0-9]{3})?(-[0-9]+)?\.mp4|[0-9]{8}\.m4s)$")


class Playback(Protocol):
    """A recording the caller may play now: its tracks, the portal route its playlist and segment
    URLs go through, and the audit target of what is played."""

    @property
    def recording(self) -> Recording: ...

    @property
    def tracks(self) -> RecordingTracks: ...

    @property
    def route(self) -> str: ...

    @property
    def audit_target(self) -> str: ...

    @property
    def marks(self) -> JournalMarks: ...

    @property
    def sees_sealed(self) -> bool:
        """Whether the viewer may play the recording's sealed spans."""
        ...

    def withheld(self, stream: str) -> frozenset[str]:
        """The segments of ``stream`` this viewer may not play (sealed spans not granted)."""
        ...


@dataclass(frozen=True, slots=True)
class GrantPlayback:
    """A usable grant with its recording, the recording's tracks and journal marks. Sealed spans
    are withheld unless a judge granted them (``Grant.include_sealed``)."""

    grant: Grant
    recording: Recording
    tracks: RecordingTracks
    marks: JournalMarks

    @property
    def route(self) -> str:
        return f"/review/grants/{self.grant.id}"

    @property
    def audit_target(self) -> str:
        return f"grant:{self.grant.id}"

    @property
    def sees_sealed(self) -> bool:
        return self.grant.include_sealed

    def withheld(self, stream: str) -> frozenset[str]:
        return frozenset() if self.sees_sealed else self.marks.sealed_objects(stream)


@dataclass(frozen=True, slots=True)
class StaffPlayback:
    """A recording of a court, played by that court's staff (sealed spans included, and marked)."""

    recording: Recording
    tracks: RecordingTracks
    marks: JournalMarks

    @property
    def sees_sealed(self) -> bool:
        return True

    def withheld(self, stream: str) -> frozenset[str]:
        return frozenset()

    @property
    def route(self) -> str:
        return f"/staff/recordings/{self.recording.id}"

    @property
    def audit_target(self) -> str:
        return f"recording:{self.recording.id}"


def choose_track(tracks: RecordingTracks, stream: str | None) -> StreamTrack:
    """The requested stream's track, or the first stream with segments; NotFoundError if none."""
    if stream is not None:
        track = tracks.tracks.get(stream)
        if track is None or not track.segments:
            raise NotFoundError("该录像中没有这个画面")
        return track
    for name in sorted(tracks.tracks):
        if tracks.tracks[name].segments:
            return tracks.tracks[name]
    raise NotFoundError("该录像没有可播放的片段")


class PlaylistTexts:
    """VOD playlist texts, each built once per route and track state (a three-hour hearing has ~1800
    segments, and a player may fetch its playlist many times). Thread-safe, bounded (LRU)."""

    def __init__(self, max_entries: int = 256) -> None:
        self._max_entries = max_entries
        self._texts: OrderedDict[tuple[str, str, str, int, int], str] = OrderedDict()
        self._lock = threading.Lock()

    def text(self, recording_id: str, route: str, track: StreamTrack) -> str:
        """The playlist of ``track`` whose URLs go through the portal route ``route``."""
        last = track.segments[-1].segment if track.segments else 0
        key = (recording_id, track.stream, route, len(track.segments), last)  # a withheld one differs
        with self._lock:
            text = self._texts.get(key)
        if text is None:
            text = build_vod_playlist(
                track,
                segment_url=lambda segment: object_path(route, segment.object),
                init_url=lambda init: object_path(route, init),
            )
            with self._lock:
                self._texts[key] = text
                while len(self._texts) > self._max_entries:
                    self._texts.popitem(last=False)
        return text


def visible_track(track: StreamTrack, withheld: frozenset[str]) -> StreamTrack:
    """``track`` without the ``withheld`` segments; the segment after a left-out run starts a
    discontinuity. Raises PermissionDeniedError when no segment is left."""
    kept: list[PlaylistSegment] = []
    skipped = False
    for segment in track.segments:
        if segment.object in withheld:
            skipped = True
            continue
        kept.append(dataclasses.replace(segment, discontinuity=True) if skipped and kept else segment)
        skipped = False
    if not kept:
        raise PermissionDeniedError("此录像的这一路全部处于封存，未经法官准许不能查看。")
    return dataclasses.replace(track, segments=tuple(kept))


def object_path(route: str, relative_object: str) -> str:
    """The portal path (under a playback's ``route``) through which one object of the recording is fetched."""
    return f"{route}/objects/{relative_object}"


def playlist(
    viewer: Actor, playback: Playback, track: StreamTrack, *, texts: PlaylistTexts, ip: str
) -> tuple[str, AuditEntry]:
    """The VOD playlist for ``track`` and the audit entry of this playback start.

    Segments the viewer may not play (:meth:`Playback.withheld`) are left out, a discontinuity where
    they were. Raises PermissionDeniedError when nothing of the stream is left to play. The caller
    must have the entry committed before it answers (see ``audit_batcher``).
    """
    withheld = playback.withheld(track.stream)
    if withheld:
        track = visible_track(track, withheld)
    text = texts.text(playback.recording.id, playback.route, track)
    detail: dict[str, str | int] = {
        "recording": playback.recording.id,
        "stream": track.stream,
        "segments": len(track.segments),
    }
    return text, AuditEntry(
        viewer.audit_name, AuditAction.PLAYBACK_STARTED, playback.audit_target, ip=ip, detail=detail
    )


def issue_object_url(
    viewer: Actor,
    playback: Playback,
    stream: str,
    name: str,
    *,
    store: ObjectStore | None,
    lifetime: timedelta,
    ip: str,
) -> tuple[str, AuditEntry]:
    """A presigned GET (``lifetime`` <= 2 minutes) for one init or media segment of the recording,
    and the audit entry of its issuance, which the caller must have committed before it answers.
    Raises NotFoundError (not part of the recording) or StoreError.
    """
    relative = f"{stream}/{name}"
    track = playback.tracks.tracks.get(stream)
    if not _OBJECT_NAME.match(name) or track is None:
        raise NotFoundError("该录像中没有这个片段")
    if track.find(relative) is None and relative not in track.inits:
        raise NotFoundError("该录像中没有这个片段")
    if relative in playback.withheld(stream):
        raise PermissionDeniedError(SEALED_MESSAGE)
    if store is None:
        raise StoreError("no recording archive is configured")
    try:
        url = store.presigned_get_url(playback.tracks.object_key(relative), expires=lifetime)
    except ArchiveError as exc:
        raise StoreError(f"the segment URL could not be signed: {exc}") from exc
    detail: dict[str, str | int] = {"object": relative, "expires_seconds": int(lifetime.total_seconds())}
    entry = AuditEntry(
        viewer.audit_name, AuditAction.SEGMENT_ISSUED, playback.audit_target, ip=ip, detail=detail
    )
    return url, entry


NOMINAL_BANDWIDTH = 2_000_000  # bits/s: one variant only, so players never choose by it


def cameras(tracks: RecordingTracks) -> list[str]:
    """The streams a viewer switches between: those with pictures (the microphones when there are none,
    their mix first: what plays by default)."""
    playable = {name: track for name, track in tracks.tracks.items() if track.segments}
    pictures = sorted(name for name, track in playable.items() if not track.audio_only)
    return pictures or sorted(playable, key=lambda name: (name != MIXED_SOUND_STREAM, name))


def sound_for(tracks: RecordingTracks, picture: StreamTrack) -> list[StreamTrack]:
    """The sound tracks that play with ``picture`` when its file has pictures and no sound (a camera
    recorded as a CMAF track file, or one without a microphone): the microphones' mix first (where
    several were recorded: what simple players play), then the camera's own sound
    (``<camera>.audio``), then every other sound track. A camera whose one file holds both (a
    recording from before CMAF track files) plays alone."""
    declaration = picture.declaration
    if declaration is None or declaration.video is None or declaration.audio is not None:
        return []
    own = audio_track_name(picture.stream)
    sound = [tracks.tracks[name] for name in sorted(tracks.tracks) if tracks.tracks[name].audio_only]
    return sorted(sound, key=lambda track: (track.stream != MIXED_SOUND_STREAM, track.stream != own))


def microphone_channels(tracks: RecordingTracks, playing: StreamTrack) -> list[StreamTrack]:
    """The sound tracks a listener mutes or solos one by one while ``playing`` plays: every sound
    track but the mix, when the mix is what plays (with a camera's pictures, or alone in a recording
    of microphones only); none otherwise (one choice of sound, as before)."""
    sound = [playing] if playing.audio_only else sound_for(tracks, playing)
    if not sound or sound[0].stream != MIXED_SOUND_STREAM:
        return []
    return [
        t
        for name, t in sorted(tracks.tracks.items())
        if t.audio_only and t.segments and name != MIXED_SOUND_STREAM
    ]


def multivariant_playlist(route: str, picture: StreamTrack, sound: list[StreamTrack]) -> str:
    """An HLS multivariant playlist: ``picture``'s media playlist with ``sound`` as its audio group
    (the first microphone by default; a player may switch to another), all through ``route``."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for position, microphone in enumerate(sound):
        default = "YES" if position == 0 else "NO"
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="sound",NAME="{microphone.stream}",LANGUAGE="zh",'
            f"DEFAULT={default},AUTOSELECT={default},"
            f'URI="{route}/playlist.m3u8?stream={microphone.stream}"'
        )
    video = picture.declaration.video if picture.declaration is not None else None
    resolution = f",RESOLUTION={video.width}x{video.height}" if video is not None else ""
    group = ',AUDIO="sound"' if sound else ""
    lines.append(f"#EXT-X-STREAM-INF:BANDWIDTH={NOMINAL_BANDWIDTH}{resolution}{group}")
    lines.append(f"{route}/playlist.m3u8?stream={picture.stream}")
    return "\n".join(lines) + "\n"
