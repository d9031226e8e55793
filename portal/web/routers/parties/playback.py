"""Playing a granted recording: the player page, its HLS playlist, and the segment redirects.

Every request re-checks the grant (owner, window, revocation) and answers only once its audit record
is committed (group commit, see ``portal.audit.batcher``). Answers are ``no-store``; the page
offers no download link and overlays a watermark (party, grant, current time) on the video.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from archive.formats.identifiers import STREAM_NAME_MAX_LENGTH, STREAM_NAME_PATTERN
from portal.identity.principal import Principal
from portal.review.playback import GrantPlayback
from portal.web.context import PortalContext
from portal.web.deps import ContextDep, CurrentParty, IdPath
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

router = APIRouter(tags=["playback"])

StreamQuery = Annotated[str | None, Query(max_length=STREAM_NAME_MAX_LENGTH, pattern=STREAM_NAME_PATTERN)]


@router.get("/review/grants/{grant_id}", response_class=HTMLResponse, summary="Player page")
async def player_page(
    request: Request, context: ContextDep, party: CurrentParty, grant_id: IdPath, stream: StreamQuery = None
) -> HTMLResponse:
    """The player for a grant the party holds (403 when expired or revoked, 404 for others' grants)."""
    playback = await _playback(context, party, grant_id)
    player = player_values(playback, stream, await gap_texts(context, playback.recording.id))
    values = {
        **player,
        "heading": await recording_heading(context, playback.recording, player["stream"]),
        "grant_id": grant_id,
        "party_name": party.actor.display_name,
        "not_after": playback.grant.not_after,
        "now": context.clock.now(),
        "zone": context.settings.portal_display_timezone,
    }
    return render(request, "player.html", values, headers=NO_STORE)


@router.get(
    "/review/grants/{grant_id}/master.m3u8",
    summary="HLS multivariant playlist",
    response_class=Response,
    responses={200: {"content": {"application/vnd.apple.mpegurl": {}}}, 403: {}, 404: {}},
)
async def master_m3u8(
    context: ContextDep, party: CurrentParty, grant_id: IdPath, stream: StreamQuery = None
) -> Response:
    """A camera with the microphones' sound: its playlist and theirs, all through the grant."""
    return multivariant_response(await _playback(context, party, grant_id), stream)


@router.get(
    "/review/grants/{grant_id}/playlist.m3u8",
    summary="HLS VOD playlist",
    response_class=Response,
    responses={200: {"content": {"application/vnd.apple.mpegurl": {}}}, 403: {}, 404: {}},
)
async def playlist_m3u8(
    request: Request, context: ContextDep, party: CurrentParty, grant_id: IdPath, stream: StreamQuery = None
) -> Response:
    """The VOD playlist of the granted recording's stream; its segment URLs are portal paths."""
    playback = await _playback(context, party, grant_id)
    return await playlist_response(request, context, party, playback, stream)


@router.get(
    "/review/grants/{grant_id}/objects/{stream}/{name}",
    summary="Segment (redirect)",
    status_code=302,
    response_class=RedirectResponse,
    responses={302: {}, 403: {}, 404: {}},
)
async def segment(
    request: Request, context: ContextDep, party: CurrentParty, *, grant_id: IdPath, stream: str, name: str
) -> RedirectResponse:
    """Redirect to a presigned GET (at most two minutes) of one init or media segment."""
    playback = await _playback(context, party, grant_id)
    return await segment_redirect(request, context, party, playback, stream=stream, name=name)


@router.get(
    "/review/grants/{grant_id}/track.json",
    summary="GPS track",
    response_class=JSONResponse,
    responses={200: {}, 403: {}, 404: {}},
)
async def track_json(
    request: Request, context: ContextDep, party: CurrentParty, grant_id: IdPath, stream: StreamQuery = None
) -> JSONResponse:
    """The recording's GPS track (positions checked against the journal), timed on ``stream``'s playback."""
    playback = await _playback(context, party, grant_id)
    return await trace_response(request, context, party, playback, stream)


async def _playback(context: PortalContext, party: Principal, grant_id: int) -> GrantPlayback:
    """The grant check: from memory when possible, else in a worker thread (database, bucket)."""
    gate = context.playback_gate
    playback = gate.check_from_memory(party.actor, grant_id)
    return playback if playback is not None else await asyncio.to_thread(gate.check, party.actor, grant_id)
