"""Replays of public hearings (庭审回放): the public list and search, a hearing's replay page, the
playlists and segment redirects behind it, and the clerk's withdraw and restore.

Every playlist and segment request decides the replay again (``portal.replays.policy``): a replay
withdrawn, sealed (no longer public) or of a masked hearing stops at its next request. A clerk's
sealed span inside the recording (封存) is left out like a cut: no segment that overlaps it. Segment URLs
are portal paths answered with a redirect to a presigned GET that lives at most two minutes, and only
for the allowed segments of the broadcast camera and the room's microphone: the public never gets a
URL to any other object. A view is audited when its master playlist is served, once per viewer per
window (``portal.audit.public_views``); every withdrawal and restoration is audited.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import ArchiveError
from archive.formats.identifiers import STREAM_NAME_PATTERN
from portal.audit.public_views import ViewKind
from portal.db import transaction
from portal.errors import InvalidInputError, NotFoundError, PortalError, RuleViolationError, StoreError
from portal.hearings.notice_search import MAX_QUERY_LENGTH, notice_matches
from portal.hearings.notices import NoticeView, get_notice, list_ended_public_notices
from portal.identity.actor import Actor
from portal.identity.principal import Principal
from portal.identity.staff_scope import in_court_scope
from portal.models import Court
from portal.replays.policy import ReplayDecision, ReplayRefusal, decide_replay, hearings_with_replays
from portal.replays.replay_tracks import (
    ReplayTracks,
    media_playlist,
    multivariant_playlist,
    replay_tracks,
    without_sealed,
)
from portal.replays.withdrawal import MAX_REASON, restore_replay, withdraw_replay
from portal.web.context import PortalContext
from portal.web.csrf import check_session_token
from portal.web.deps import ContextDep, DeciderDep, IdPath, OptionalPrincipal, client_ip
from portal.web.forms.query_params import DateFilter
from portal.web.public_viewing import audit_public_view
from portal.web.templates import render
from streaming.server.service import LiveService

router = APIRouter(tags=["replays"])

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
CourtQuery = Annotated[str | None, Query(alias="court", max_length=64, pattern=r"^[a-z0-9-]*$")]
SearchQuery = Annotated[str | None, Query(alias="q", max_length=MAX_QUERY_LENGTH)]
StreamQuery = Annotated[str, Query(max_length=32, pattern=STREAM_NAME_PATTERN)]
PartPath = Annotated[int, IdPath]
PartQuery = Annotated[int, Query(ge=1, le=1000, description="which recording of the hearing (1: the first)")]
FormText = Annotated[str, Form(max_length=2000)]
STAFF_LIST_DAYS = 90


def masks_every_broadcast(request: Request) -> bool:
    """Whether the live server mounted in this portal masks faces on every broadcast (then no replay
    is shown: the archive's picture is unmasked)."""
    service: LiveService | None = getattr(request.app.state, "live_service", None)
    return service is not None and service.settings.mask_faces


MaskAllDep = Annotated[bool, Depends(masks_every_broadcast)]
# the refusals a visitor is told about (a hearing that is not public is "not found", as everywhere)
REFUSAL_STATUS = {
    ReplayRefusal.WITHDRAWN: 410,
    ReplayRefusal.MASKED: 403,
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
                db, [n.hearing_id for n in notices], now=now, grace=_grace(context), mask_all=mask_all
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
    why there is none: withdrawn (410, 已撤回), faces to be masked (403), not ended yet; 404 for a
    hearing that is not public."""
    notice, decision = await asyncio.to_thread(_decide, context, notice_id, mask_all)
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
    replay = await _replay(context, decision, part)
    if replay is None:
        values = {"n": notice, "refusal": str(ReplayRefusal.NO_RECORDING)}
        return render(request, "replay_refused.html", values, status=404, headers=NO_STORE)
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
    notice, replay = await _allowed_replay(context, notice_id, part, mask_all)
    await audit_public_view(request, context, notice, ViewKind.REPLAY)
    text = multivariant_playlist(_route(notice_id, part), replay)
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
    _, replay = await _allowed_replay(context, notice_id, part, mask_all)
    track = replay.track(stream)
    if track is None:
        raise NotFoundError("该回放中没有这个画面")
    text = media_playlist(_route(notice_id, part), track)
    return Response(text, media_type=PLAYLIST_TYPE, headers=NO_STORE)


@router.get(
    "/notices/{notice_id}/replay/{part}/objects/{stream}/{name}",
    summary="Replay segment (redirect to a short-lived URL)",
    response_class=RedirectResponse,
    status_code=302,
    responses={302: {}, 404: {}},
)
async def replay_object(
    *, context: ContextDep, mask_all: MaskAllDep, notice_id: IdPath, part: PartPath, stream: str, name: str
) -> RedirectResponse:
    """A redirect to a presigned GET (at most two minutes) of one allowed segment of the replay."""
    _, replay = await _allowed_replay(context, notice_id, part, mask_all)
    key = replay.object_key(stream[:32], name[:32])
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


# -- the clerk's withdraw and restore --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StaffReplay:
    """An ended public hearing of the caller's court, and its replay's state."""

    notice: NoticeView
    state: str  # a ReplayRefusal value, or "available"


@router.get("/staff/replays", response_class=HTMLResponse, summary="Replays (staff)")
async def staff_replays_page(
    request: Request, context: ContextDep, staff: DeciderDep, mask_all: MaskAllDep
) -> HTMLResponse:
    """The replays of the court's public hearings of the last 90 days, each with withdraw or restore."""
    values = await asyncio.to_thread(_staff_values, context, staff.actor, mask_all)
    return render(request, "staff_replays.html", values, headers=NO_STORE)


@router.post("/staff/replays/{hearing_id}/withdraw", summary="Withdraw a replay (form)", responses={303: {}})
async def withdraw_form(
    request: Request,
    *,
    context: ContextDep,
    staff: DeciderDep,
    hearing_id: IdPath,
    csrf_token: FormText = "",
    reason: FormText = "",
) -> Response:
    """Withdraw the replay at once (audited), then back to the list; a refusal shows the list again with
    the reason and what was typed."""
    check_session_token(staff.csrf_token, csrf_token)

    def withdraw(db: Session) -> None:
        withdraw_replay(
            db,
            staff.actor,
            hearing_id,
            reason[: MAX_REASON * 2],
            now=context.clock.now(),
            ip=client_ip(request),
        )

    return await _change(
        request, context=context, staff=staff, hearing_id=hearing_id, apply=withdraw, typed=reason
    )


@router.post("/staff/replays/{hearing_id}/restore", summary="Restore a replay (form)", responses={303: {}})
async def restore_form(
    request: Request, context: ContextDep, staff: DeciderDep, hearing_id: IdPath, csrf_token: FormText = ""
) -> Response:
    """Make a withdrawn replay public again (audited), then back to the list."""
    check_session_token(staff.csrf_token, csrf_token)

    def restore(db: Session) -> None:
        restore_replay(db, staff.actor, hearing_id, now=context.clock.now(), ip=client_ip(request))

    return await _change(
        request, context=context, staff=staff, hearing_id=hearing_id, apply=restore, typed=""
    )


async def _change(
    request: Request,
    *,
    context: PortalContext,
    staff: Principal,
    hearing_id: int,
    apply: Callable[[Session], None],
    typed: str,
) -> Response:
    def run() -> None:
        with transaction(context.sessions) as db:
            apply(db)

    try:
        await asyncio.to_thread(run)
    except (InvalidInputError, RuleViolationError) as exc:
        values = await asyncio.to_thread(_staff_values, context, staff.actor, masks_every_broadcast(request))
        values |= {"error": str(exc), "error_hearing": hearing_id, "typed": typed}
        status = 422 if isinstance(exc, InvalidInputError) else 409
        return render(request, "staff_replays.html", values, status=status, headers=NO_STORE)
    context.public_cache.clear()  # notice pages link to the replay, or stop linking
    return RedirectResponse("/staff/replays", status_code=303)


def _staff_values(context: PortalContext, actor: Actor, mask_all: bool) -> dict[str, object]:
    now = context.clock.now()
    grace = _grace(context)
    with context.readonly_sessions() as db:
        notices = [
            n
            for n in list_ended_public_notices(db, started_before=now, zone=context.display_zone, limit=500)
            if n.starts_at >= now - timedelta(days=STAFF_LIST_DAYS)
        ]
        courts = {c.code: c.id for c in db.scalars(select(Court))}
        rows = []
        for notice in notices:
            if not in_court_scope(actor, courts.get(notice.court_code, -1)):
                continue
            decision = decide_replay(
                db, notice.hearing_id, now=now, grace=grace, delay_seconds=0.0, mask_all=mask_all
            )
            if decision.refusal is ReplayRefusal.NOT_ENDED:
                continue
            state = "available" if decision.window is not None else str(decision.refusal)
            rows.append(StaffReplay(notice, state))
    return {"replays": rows, "error": None, "error_hearing": None, "typed": ""}


# -- shared -----------------------------------------------------------------------------------------


def _length(seconds: float) -> str:
    """A replay's length as a visitor reads it (约 N 分钟, or N 秒 when under a minute)."""
    return f"{round(seconds)} 秒" if seconds < 60 else f"约 {round(seconds / 60)} 分钟"


def _route(notice_id: int, part: int) -> str:
    return f"/notices/{notice_id}/replay/{part}"


def _grace(context: PortalContext) -> timedelta:
    return timedelta(minutes=context.settings.portal_broadcast_grace_minutes)


def _decide(context: PortalContext, notice_id: int, mask_all: bool) -> tuple[NoticeView, ReplayDecision]:
    """The notice and its hearing's replay now; NotFoundError when there is no such notice."""
    with context.readonly_sessions() as db:
        notice = get_notice(db, notice_id)
        decision = decide_replay(
            db,
            notice.hearing_id,
            now=context.clock.now(),
            grace=_grace(context),
            delay_seconds=context.settings.portal_broadcast_delay_seconds,
            mask_all=mask_all,
        )
    return notice, decision


async def _replay(context: PortalContext, decision: ReplayDecision, part: int) -> ReplayTracks | None:
    """The tracks of ``part`` of an allowed replay (None when nothing of it may be shown)."""
    assert decision.window is not None
    recording_id = decision.window.recording_ids[part - 1]
    try:
        tracks, marks = await asyncio.to_thread(context.tracks.get_loaded, recording_id)
    except NotFoundError:
        return None
    settings = context.settings
    replay = replay_tracks(
        without_sealed(tracks, marks),
        decision.window,
        picture_stream=settings.portal_broadcast_stream,
        sound_stream=settings.portal_broadcast_sound_stream,
    )
    return replay if replay.playable else None


async def _allowed_replay(
    context: PortalContext, notice_id: int, part: int, mask_all: bool
) -> tuple[NoticeView, ReplayTracks]:
    """The notice and the replay of ``part``, decided again now; NotFoundError when it may not be shown."""
    try:
        notice, decision = await asyncio.to_thread(_decide, context, notice_id, mask_all)
    except PortalError as exc:
        raise NotFoundError("未找到该回放") from exc
    if decision.window is None or not 1 <= part <= len(decision.window.recording_ids):
        raise NotFoundError("未找到该回放")
    replay = await _replay(context, decision, part)
    if replay is None:
        raise NotFoundError("未找到该回放")
    return notice, replay
