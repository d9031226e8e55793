"""The recordings of a court for its clerks and judges: search, the player with its timeline, and
the playlist and segment redirects behind it (every request re-checks the court and is audited)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from archive.formats.identifiers import STREAM_NAME_MAX_LENGTH, STREAM_NAME_PATTERN
from portal.identity.principal import Principal
from portal.records.recording_search import court_rooms, search_recordings
from portal.review.playback import StaffPlayback
from portal.review.staff_access import staff_playback
from portal.review.timeline import track_timeline
from portal.web.context import PortalContext
from portal.web.deps import ContextDep, DeciderDep
from portal.web.forms.query_params import CourtroomFilter, DateFilter
from portal.web.player_page import (
    NO_STORE,
    gap_texts,
    multivariant_response,
    player_values,
    playlist_response,
    recording_heading,
    segment_redirect,
    trace_response,
)
from portal.web.templates import render

router = APIRouter(tags=["staff recordings"])

StreamQuery = Annotated[str | None, Query(max_length=STREAM_NAME_MAX_LENGTH, pattern=STREAM_NAME_PATTERN)]
CaseQuery = Annotated[str | None, Query(alias="case", max_length=64)]


@router.get("/staff/recordings", response_class=HTMLResponse, summary="Recordings page")
def recordings_page(
    request: Request,
    *,
    context: ContextDep,
    staff: DeciderDep,
    case: CaseQuery = None,
    room: CourtroomFilter = None,
    on_date: DateFilter = None,
) -> HTMLResponse:
    """The court's recordings, newest first, by case number, courtroom and date."""
    with context.readonly_sessions() as db:
        found = search_recordings(
            db, staff.actor, zone=context.display_zone, case_number=case, courtroom_id=room, on_date=on_date
        )
        rooms = court_rooms(db, staff.actor)
    values = {"recordings": found, "rooms": rooms, "case": case or "", "room": room, "on_date": on_date}
    return render(request, "staff_recordings.html", values)


@router.get("/staff/recordings/{recording_id}", response_class=HTMLResponse, summary="Staff player page")
async def staff_player_page(
    request: Request, context: ContextDep, staff: DeciderDep, recording_id: str, stream: StreamQuery = None
) -> HTMLResponse:
    """The player of one of the court's recordings, with its timeline of segments and gaps."""
    playback = await _playback(context, staff, recording_id)
    player = player_values(playback, stream, await gap_texts(context, playback.recording.id))
    values = {
        **player,
        "heading": await recording_heading(context, playback.recording, player["stream"]),
        "recording": playback.recording,
        "timeline": track_timeline(playback.tracks.tracks[player["stream"]]),
        "viewer": staff.actor.display_name,
        "now": context.clock.now(),
        "zone": context.settings.portal_display_timezone,
    }
    return render(request, "staff_player.html", values, headers=NO_STORE)


@router.get(
    "/staff/recordings/{recording_id}/master.m3u8",
    summary="HLS multivariant playlist (staff)",
    response_class=Response,
    responses={200: {"content": {"application/vnd.apple.mpegurl": {}}}, 404: {}},
)
async def staff_master(
    context: ContextDep, staff: DeciderDep, recording_id: str, stream: StreamQuery = None
) -> Response:
    """A camera with the microphones' sound: its playlist and theirs."""
    return multivariant_response(await _playback(context, staff, recording_id), stream)


@router.get(
    "/staff/recordings/{recording_id}/playlist.m3u8",
    summary="HLS VOD playlist (staff)",
    response_class=Response,
    responses={200: {"content": {"application/vnd.apple.mpegurl": {}}}, 404: {}},
)
async def staff_playlist(
    request: Request, context: ContextDep, staff: DeciderDep, recording_id: str, stream: StreamQuery = None
) -> Response:
    """The VOD playlist of one stream; its segment URLs are portal paths (audited playback start)."""
    playback = await _playback(context, staff, recording_id)
    return await playlist_response(request, context, staff, playback, stream)


@router.get(
    "/staff/recordings/{recording_id}/objects/{stream}/{name}",
    summary="Segment (redirect, staff)",
    status_code=302,
    response_class=RedirectResponse,
    responses={302: {}, 404: {}},
)
async def staff_segment(
    request: Request, context: ContextDep, staff: DeciderDep, *, recording_id: str, stream: str, name: str
) -> RedirectResponse:
    """Redirect to a presigned GET (at most two minutes) of one init or media segment (audited)."""
    playback = await _playback(context, staff, recording_id)
    return await segment_redirect(request, context, staff, playback, stream=stream, name=name)


@router.get(
    "/staff/recordings/{recording_id}/track.json",
    summary="GPS track (staff)",
    response_class=JSONResponse,
    responses={200: {}, 403: {}, 404: {}},
)
async def staff_track_json(
    request: Request, context: ContextDep, staff: DeciderDep, recording_id: str, stream: StreamQuery = None
) -> JSONResponse:
    """The recording's GPS track (positions checked against the journal), timed on ``stream``'s playback."""
    playback = await _playback(context, staff, recording_id)
    return await trace_response(request, context, staff, playback, stream)


async def _playback(context: PortalContext, staff: Principal, recording_id: str) -> StaffPlayback:
    def check() -> StaffPlayback:
        with context.readonly_sessions() as db:
            return staff_playback(db, staff.actor, recording_id[:128], context.tracks)

    return await asyncio.to_thread(check)
