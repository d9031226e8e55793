"""Playback of a granted recording: the HLS VOD playlist and the segment URLs behind it.

The playlist (built by ``archive.export.playlist`` from the journal) lists portal URLs, not storage URLs:
``/review/grants/{grant}/objects/{stream}/{file}``. Each such request checks the grant again and
only then answers with a redirect to a presigned GET that lives at most two minutes. So a revoked or
expired grant stops new segment URLs at the very next request, and every issued URL is audited
(the URL itself is never logged: it is a bearer token until it expires).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

from archive import ArchiveError
from archive.export import RecordingTracks, StreamTrack, build_vod_playlist
from archive.store import ObjectStore
from portal.audit.trail import AuditAction, AuditEntry
from portal.errors import NotFoundError, StoreError
from portal.identity.actor import Actor
from portal.models import Grant, Recording

_OBJECT_NAME = re.compile(r"^(init\.mp4|[0-9]{8}\.m4s)$")


@dataclass(frozen=True, slots=True)
class GrantPlayback:
    """A usable grant with its recording and the recording's tracks."""

    grant: Grant
    recording: Recording
    tracks: RecordingTracks


def choose_track(tracks: RecordingTracks, stream: str | None) -> StreamTrack:
    """The requested stream's track, or the first stream with segments; NotFoundError if none."""
    if stream is not None:
        track = tracks.tracks.get(stream)
        if track is None or not track.segments:
            raise NotFoundError("no such stream in this recording")
        return track
    for name in sorted(tracks.tracks):
        if tracks.tracks[name].segments:
            return tracks.tracks[name]
    raise NotFoundError("this recording has no playable segments")


class PlaylistTexts:
    """VOD playlist texts, each built once per grant and track state (a three-hour hearing has ~1800
    segments, and a player may fetch its playlist many times). Thread-safe, bounded (LRU)."""

    def __init__(self, max_entries: int = 256) -> None:
        self._max_entries = max_entries
        self._texts: OrderedDict[tuple[str, str, int, int, int], str] = OrderedDict()
        self._lock = threading.Lock()

    def text(self, recording_id: str, grant_id: int, track: StreamTrack) -> str:
        """The playlist of ``track`` whose URLs go through grant ``grant_id``."""
        last = track.segments[-1].segment if track.segments else 0
        key = (recording_id, track.stream, grant_id, len(track.segments), last)
        with self._lock:
            text = self._texts.get(key)
        if text is None:
            text = build_vod_playlist(
                track,
                segment_url=lambda segment: object_path(grant_id, segment.object),
                init_url=lambda init: object_path(grant_id, init),
            )
            with self._lock:
                self._texts[key] = text
                while len(self._texts) > self._max_entries:
                    self._texts.popitem(last=False)
        return text


def object_path(grant_id: int, relative_object: str) -> str:
    """The portal path through which a grant's holder fetches one object of the recording."""
    return f"/review/grants/{grant_id}/objects/{relative_object}"


def playlist(
    party: Actor, playback: GrantPlayback, track: StreamTrack, *, texts: PlaylistTexts, ip: str
) -> tuple[str, AuditEntry]:
    """The VOD playlist for ``track`` and the audit entry of this playback start.

    The caller must have the entry committed before it answers (see ``audit_batcher``).
    """
    grant_id = playback.grant.id
    text = texts.text(playback.recording.id, grant_id, track)
    detail: dict[str, str | int] = {
        "recording": playback.recording.id,
        "stream": track.stream,
        "segments": len(track.segments),
    }
    return text, AuditEntry(
        party.audit_name, AuditAction.PLAYBACK_STARTED, f"grant:{grant_id}", ip=ip, detail=detail
    )


def issue_object_url(
    party: Actor,
    playback: GrantPlayback,
    stream: str,
    name: str,
    *,
    store: ObjectStore | None,
    lifetime: timedelta,
    ip: str,
) -> tuple[str, AuditEntry]:
    """A presigned GET (``lifetime`` <= 2 minutes) for one init or media segment of the granted
    recording, and the audit entry of its issuance, which the caller must have committed before it
    answers. Raises NotFoundError (not part of the recording) or StoreError.
    """
    relative = f"{stream}/{name}"
    track = playback.tracks.tracks.get(stream)
    if not _OBJECT_NAME.match(name) or track is None:
        raise NotFoundError("no such segment in this recording")
    if track.find(relative) is None and relative not in track.inits:
        raise NotFoundError("no such segment in this recording")
    if store is None:
        raise StoreError("no recording archive is configured")
    try:
        url = store.presigned_get_url(playback.tracks.object_key(relative), expires=lifetime)
    except ArchiveError as exc:
        raise StoreError(f"the segment URL could not be signed: {exc}") from exc
    detail: dict[str, str | int] = {"object": relative, "expires_seconds": int(lifetime.total_seconds())}
    entry = AuditEntry(
        party.audit_name, AuditAction.SEGMENT_ISSUED, f"grant:{playback.grant.id}", ip=ip, detail=detail
    )
    return url, entry
