"""What the review player page needs of a playback, for parties and staff alike: the chosen camera,
the playlist to load (a multivariant one when the camera's sound comes from the microphones), the
cameras to switch between and the microphones to listen to."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from archive.formats import STREAM_NAME_MAX_LENGTH
from portal.audit.trail import AuditAction, AuditEntry
from portal.identity.principal import Principal
from portal.models import Recording
from portal.records.gap_explanations import current_texts
from portal.records.recording_names import courtroom_name, recording_title
from portal.review.playback import (
    Playback,
    cameras,
    choose_track,
    issue_object_url,
    microphone_channels,
    multivariant_playlist,
    playlist,
    sound_for,
)
from portal.review.position_trace import position_stream, position_trace
from portal.review.timeline import timeline_marks
from portal.web.context import PortalContext
from portal.web.deps import client_ip


async def recording_heading(context: PortalContext, recording: Recording, stream: str) -> str:
    """What the player page calls the recording: ``2026年12月3日 第一法庭 审判席摄像机``."""

    def name() -> str:
        with context.readonly_sessions() as db:
            return courtroom_name(db, recording)

    return recording_title(recording.started_at, await asyncio.to_thread(name), context.display_zone, stream)


NO_STORE = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"}


def player_values(
    playback: Playback, stream: str | None, explanations: Mapping[int, str] | None = None
) -> dict[str, Any]:
    """The player's template values for ``stream`` (default: the first camera), with the marks of its
    timeline (``explanations``: the judge's explanation of each gap, by gap key)."""
    streams = cameras(playback.tracks)
    track = choose_track(playback.tracks, stream if stream is not None else (streams[0] if streams else None))
    sound = sound_for(playback.tracks, track)
    playlist = "master.m3u8" if sound else "playlist.m3u8"
    marks = (
        playback.marks if playback.sees_sealed else playback.marks.without(playback.withheld(track.stream))
    )
    return {
        "marks": timeline_marks(
            marks, track.stream, explanations=explanations or {}, sealed_withheld=not playback.sees_sealed
        ),
        "marks_total": marks.playing_seconds(track.stream),
        "route": playback.route,
        "stream": track.stream,
        "streams": streams,
        "microphones": [microphone.stream for microphone in sound],  # labelled by the template
        "channels": [  # several microphones and their mix: each one muted or soloed in the page
            {"stream": c.stream, "playlist_url": f"{playback.route}/playlist.m3u8?stream={c.stream}"}
            for c in microphone_channels(playback.tracks, track)
        ],
        "audio_only": track.audio_only,
        "playlist_url": f"{playback.route}/{playlist}?stream={track.stream}",
        "trace_url": None
        if position_stream(playback.tracks) is None
        else f"{playback.route}/track.json?stream={track.stream}",
    }


async def gap_texts(context: PortalContext, recording_id: str) -> dict[int, str]:
    """The judge's explanations of the recording's gaps, by gap key (read in a worker thread)."""

    def read() -> dict[int, str]:
        with context.readonly_sessions() as db:
            return current_texts(db, recording_id)

    return await asyncio.to_thread(read)


def multivariant_response(playback: Playback, stream: str | None) -> Response:
    """The camera's multivariant playlist (its pictures with the microphones' sound)."""
    track = choose_track(playback.tracks, stream)
    text = multivariant_playlist(playback.route, track, sound_for(playback.tracks, track))
    return Response(text, media_type="application/vnd.apple.mpegurl", headers=NO_STORE)


async def playlist_response(
    request: Request, context: PortalContext, viewer: Principal, playback: Playback, stream: str | None
) -> Response:
    """One stream's VOD playlist (segment URLs are portal paths), once its playback start is audited."""
    track = choose_track(playback.tracks, stream)
    text, entry = playlist(viewer.actor, playback, track, texts=context.playlists, ip=client_ip(request))
    await context.audit_batch.record(entry, at=context.clock.now())
    return Response(text, media_type="application/vnd.apple.mpegurl", headers=NO_STORE)


async def segment_redirect(
    request: Request, context: PortalContext, viewer: Principal, playback: Playback, *, stream: str, name: str
) -> RedirectResponse:
    """A redirect to a presigned GET (at most two minutes) of one init or media segment, once its
    issuance is audited."""
    url, entry = issue_object_url(
        viewer.actor,
        playback,
        stream[:STREAM_NAME_MAX_LENGTH],
        name[:32],
        store=context.store,
        lifetime=context.segment_url_lifetime,
        ip=client_ip(request),
    )
    await context.audit_batch.record(entry, at=context.clock.now())
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


async def trace_response(
    request: Request, context: PortalContext, viewer: Principal, playback: Playback, stream: str | None
) -> JSONResponse:
    """The recording's GPS track timed on ``stream``'s playback (see ``position_trace``), once the
    reading is audited like a playback start."""
    camera = choose_track(playback.tracks, stream)
    trace = await asyncio.to_thread(position_trace, playback.tracks, camera, context.store)
    detail: dict[str, str | int] = {
        "recording": playback.recording.id,
        "stream": str(trace["stream"]),
        "segments": len(playback.tracks.data[str(trace["stream"])].segments),
    }
    entry = AuditEntry(
        viewer.actor.audit_name,
        AuditAction.PLAYBACK_STARTED,
        playback.audit_target,
        ip=client_ip(request),
        detail=detail,
    )
    await context.audit_batch.record(entry, at=context.clock.now())
    return JSONResponse(trace, headers=NO_STORE)
