"""Replays of public hearings (庭审回放): the public list and search, a hearing's replay page, the
playlists and segment redirects behind it, and the clerk's withdraw and restore.

Every playlist and segment request decides the replay again (``portal.replays.policy``): a replay
withdrawn or sealed (no longer public) stops at its next request; a hearing whose faces are to be
masked plays its masked rendition only (replay_access.py). A clerk's
sealed span inside the recording (封存) is left out like a cut: no segment that overlaps it. Segment URLs
are portal paths answered with a redirect to a presigned GET that lives at most two minutes, and only
for the allowed segments of the broadcast camera and the room's microphone: the public never gets a
URL to any other object. Anonymous replay views are not audited (like the live broadcast); every
withdrawal and restoration is.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import select

from archive import ArchiveError, ChecksumMismatchError
from archive.formats.identifiers import STREAM_NAME_PATTERN
from portal.audit.public_views import ViewKind
from portal.errors import NotFoundError, StoreError
from portal.hearings.notice_search import MAX_QUERY_LENGTH, notice_matches
from portal.hearings.notices import list_ended_public_notices
from portal.models import Court
from portal.replays.masked_rendition import INIT, MaskedObjectError, open_masked
from portal.replays.policy import ReplayRefusal, hearings_with_replays
from portal.replays.replay_tracks import media_playlist, multivariant_playlist
from portal.web.context import PortalContext
from portal.web.deps import ContextDep, IdPath, OptionalPrincipal
from portal.web.forms.query_params import DateFilter
from portal.web.media.verified_body import first_chunk, relayed
from portal.web.public_viewing import audit_public_view
from portal.web.routers.public.replay_access import (
    NO_STORE,
    MaskAllDep,
    ServedReplay,
    allowed_replay,
    decide,
    grace,
    served_replay,
)
from portal.web.templates import render

router = APIRouter(tags=["replays"])

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
SEGMENT_TYPE = "video/mp4"
CourtQuery = Annotated[str | None, Query(alias="court", max_length=64, pattern=r"^[a-z0-9-]*$")]
SearchQuery = Annotated[str | None, Query(alias="q", max_length=MAX_QUERY_LENGTH)]
StreamQuery = Annotated[str, Query(max_length=32, pattern=STREAM_NAME_PATTERN)]
PartPath = Annotated[int, IdPath]
PartQuery = Annotated[int, Query(ge=1, le=1000, description="which recording of the hearing (1: the first)")]
# the refusals a visitor is told about (a hearing that is not public is "not found", as everywhere)
REFUSAL_STATUS = {
    ReplayRefusal.WITHDRAWN: 410,
    ReplayRefusal.CANCELLED: 404,
    ReplayRefusal.NOT_ENDED: 200,
    ReplayRefusal.NO_RECORDING: 404,
}


@router.get("/replays", response_class=HTMLResponse, summary="Replays page")
async def replays_page(
    request: Request,
    *,
    context: ContextDep,
    principal: OptionalPrincipal,
    mask_all: MaskAllDep,
    court: CourtQuery = None,
    on_date: DateFilter = None,
    query: SearchQuery = None,
) -> HTMLResponse:
    """Replays of public hearings that have ended, latest first, searchable by case number, court,
    party (as the notice shows them), cause and date. Visitors who are not signed in get it from
    the short-lived public cache (dropped when a clerk withdraws or restores a replay)."""
    words = (query or "").strip()

    def build() -> bytes:
        now = context.clock.now()
        with context.readonly_sessions() as db:
            courts = list(db.scalars(select(Court).order_by(Court.name)))
            notices = list_ended_public_notices(
                db, started_before=now, zone=context.display_zone, court_code=court, on_date=on_date
            )
            notices = [n for n in notices if not words or notice_matches(n, words)]
            with_replay = hearings_with_replays(
                db, [n.hearing_id for n in notices], now=now, grace=grace(context), mask_all=mask_all
            )
        values = {
            "replays": [n for n in notices if n.hearing_id in with_replay],
            "courts": courts,
            "court_code": court,
            "on_date": on_date,
            "query": words,
        }
        return bytes(render(request, "replays.html", values).body)

    key = f"replays:{court}:{on_date}:{words}"
    body = await context.public_cache.through(key, build, signed_in=principal is not None)
    return HTMLResponse(body, headers={"Cache-Control": "no-cache"})


@router.get("/notices/{notice_id}/replay", response_class=HTMLResponse, summary="Replay page")
async def replay_page(
    request: Request, context: ContextDep, mask_all: MaskAllDep, notice_id: IdPath, part: PartQuery = 1
) -> HTMLResponse:
    """The replay of an ended public hearing (its recording parts, one at a time), or a page saying
    why there is none: withdrawn (410, 已撤回), not ended yet, its masked rendition being prepared
    (处理中); 404 for a hearing that is not public."""
    notice, decision = await asyncio.to_thread(decide, context, notice_id, mask_all)
    if decision.window is None:
        assert decision.refusal is not None
        if decision.refusal is ReplayRefusal.NOT_PUBLIC:
            raise NotFoundError("该庭审没有公开回放")
        values = {"n": notice, "refusal": str(decision.refusal)}
        return render(
            request, "replay_refused.html", values, status=REFUSAL_STATUS[decision.refusal], headers=NO_STORE
        )
    parts = len(decision.window.recording_ids)
    if not 1 <= part <= parts:
        raise NotFoundError("该回放没有这一部分")
    served = await served_replay(context, decision, part)
    if served is None:
        values = {"n": notice, "refusal": str(ReplayRefusal.NO_RECORDING)}
        return render(request, "replay_refused.html", values, status=404, headers=NO_STORE)
    if served.preparing:  # faces to be masked: never the archive's picture, only the masked one
        values = {"n": notice, "refusal": str(ReplayRefusal.PREPARING)}
        return render(request, "replay_refused.html", values, headers=NO_STORE)
    replay = served.tracks
    route = _route(notice_id, part)
    values = {
        "n": notice,
        "part": part,
        "parts": parts,
        "playlist_url": f"{route}/master.m3u8",
        "audio_only": replay.picture is None,
        "length": _length(replay.main.duration if replay.main else 0.0),
    }
    return render(request, "replay.html", values, headers=NO_STORE)


@router.get(
    "/notices/{notice_id}/replay/{part}/master.m3u8",
    summary="Replay multivariant playlist",
    response_class=Response,
    responses={200: {"content": {PLAYLIST_TYPE: {}}}, 404: {}},
)
async def replay_master(
    request: Request, context: ContextDep, mask_all: MaskAllDep, notice_id: IdPath, part: PartPath
) -> Response:
    """The picture with the courtroom's sound (or the one track of the replay); the view is audited."""
    served = await allowed_replay(context, notice_id, part, mask_all)
    assert served.notice is not None
    await audit_public_view(request, context, served.notice, ViewKind.REPLAY)
    text = multivariant_playlist(_route(notice_id, part), served.tracks)
    return Response(text, media_type=PLAYLIST_TYPE, headers=NO_STORE)


@router.get(
    "/notices/{notice_id}/replay/{part}/playlist.m3u8",
    summary="Replay media playlist",
    response_class=Response,
    responses={200: {"content": {PLAYLIST_TYPE: {}}}, 404: {}},
)
async def replay_playlist(
    context: ContextDep, mask_all: MaskAllDep, notice_id: IdPath, part: PartPath, stream: StreamQuery
) -> Response:
    """One track's VOD playlist (only the segments the replay may show; its URLs are portal paths)."""
    served = await allowed_replay(context, notice_id, part, mask_all)
    track = served.tracks.track(stream)
    if track is None:
        raise NotFoundError("该回放中没有这个画面")
    text = media_playlist(_route(notice_id, part), track)
    return Response(text, media_type=PLAYLIST_TYPE, headers=NO_STORE)


@router.get(
    "/notices/{notice_id}/replay/{part}/objects/{stream}/{name}",
    summary="Replay segment (redirect to a short-lived URL)",
    response_class=RedirectResponse,
    status_code=302,
    responses={302: {}, 200: {"content": {SEGMENT_TYPE: {}}}, 404: {}},
)
async def replay_object(
    *, context: ContextDep, mask_all: MaskAllDep, notice_id: IdPath, part: PartPath, stream: str, name: str
) -> Response:
    """A redirect to a presigned GET (at most two minutes) of one allowed segment of the replay; for a
    masked replay, its picture's masked segment itself, only when it matches the rendition's manifest."""
    served = await allowed_replay(context, notice_id, part, mask_all)
    stream, name = stream[:32], name[:32]
    if served.masked_stream(stream):
        return await _masked_object(context, served, stream, name)
    key = served.tracks.object_key(stream, name)
    if key is None:
        raise NotFoundError("该回放中没有这个片段")
    store = context.store
    if store is None:
        raise StoreError("no recording archive is configured")
    try:
        url = await asyncio.to_thread(store.presigned_get_url, key, expires=context.segment_url_lifetime)
    except ArchiveError as exc:
        raise StoreError(f"the segment URL could not be signed: {exc}") from exc
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


# -- shared -----------------------------------------------------------------------------------------


def _length(seconds: float) -> str:
    """A replay's length as a visitor reads it (约 N 分钟, or N 秒 when under a minute)."""
    return f"{round(seconds)} 秒" if seconds < 60 else f"约 {round(seconds / 60)} 分钟"


def _route(notice_id: int, part: int) -> str:
    return f"/notices/{notice_id}/replay/{part}"


async def _masked_object(
    context: PortalContext, served: ServedReplay, stream: str, name: str
) -> StreamingResponse:
    """The masked ``name`` of the replay's picture, streamed by the portal itself (a redirect would let
    the bytes change between check and GET) and checked against the rendition's manifest as it goes:
    refused (404) when that shows before sending — missing, replaced, or a one-chunk object whose bytes
    differ — else cut short of its Content-Length (verified_body.py)."""
    picture = served.tracks.picture
    assert picture is not None and served.manifest is not None
    if name != INIT and picture.find(f"{stream}/{name}") is None:
        raise NotFoundError("该回放中没有这个片段")
    store = context.store
    if store is None:
        raise StoreError("no recording archive is configured")
    try:
        opened = await asyncio.to_thread(open_masked, store, served.manifest, name)
        chunks, first = await first_chunk(opened)
    except (MaskedObjectError, ChecksumMismatchError) as exc:
        raise NotFoundError("该回放片段未通过完整性校验，不予播放") from exc
    except ArchiveError as exc:
        raise StoreError(f"the masked segment could not be read: {exc}") from exc
    headers = dict(NO_STORE)
    if opened.size is not None:
        headers["Content-Length"] = str(opened.size)
    return StreamingResponse(relayed(opened, chunks, first), media_type=SEGMENT_TYPE, headers=headers)
