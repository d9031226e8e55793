"""The command-centre wall: its page, the operator sign-in form (standalone), and the feeds API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import FileResponse, RedirectResponse

from archive.formats.stream_labels import stream_label
from streaming.server.auth import OPERATOR_COOKIE, FeedScope, TokenAuthorizer
from streaming.server.web.http_deps import OperatorScopeDep, ServiceDep, require_operator
from streaming.server.web.wall_links import WallLinks

STATIC = Path(__file__).parent / "static"
router = APIRouter()


@router.get("/wall", response_model=None)
async def wall(request: Request) -> Response:
    """The wall page for signed-in operators; the sign-in form (401) for anyone else."""
    try:
        await require_operator(request)
    except HTTPException:
        page = "login_refused.html" if request.query_params.get("signin") == "refused" else "login.html"
        return FileResponse(STATIC / page, status_code=401, media_type="text/html")
    return FileResponse(STATIC / "wall.html", media_type="text/html", headers={"Cache-Control": "no-store"})


@router.post("/wall/login", response_model=None)
async def login(request: Request) -> Response:
    """Standalone sign-in: a correct operator token sets an HttpOnly cookie and returns to the wall;
    a wrong one returns to the sign-in form, which then says so."""
    checker = request.app.state.authorize
    body = (await request.body())[:1024].decode("utf-8", "replace")
    token = (parse_qs(body).get("token") or [""])[0]
    if not isinstance(checker, TokenAuthorizer) or not token or not checker.matches(token):
        # back to the form with the refusal shown (a reload does not post the token again)
        return RedirectResponse(f"{request.url_for('wall')}?signin=refused", status_code=303)
    response = RedirectResponse(str(request.url_for("wall")), status_code=303)
    response.set_cookie(
        OPERATOR_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return response


@router.post("/wall/logout", response_model=None)
async def logout(request: Request) -> Response:
    """Standalone sign-out: clears the operator cookie and returns to the (sign-in) wall page."""
    response = RedirectResponse(str(request.url_for("wall")), status_code=303)
    response.delete_cookie(OPERATOR_COOKIE, httponly=True, samesite="strict")
    return response


@router.get("/api/feeds")
async def feeds(service: ServiceDep, scope: OperatorScopeDep) -> dict[str, object]:
    """Every listed feed in the caller's scope with its label, media kinds, telemetry and freshness,
    for the wall (polled).

    ``kinds`` is ``["audio", "video"]``, ``["video"]`` or ``["audio"]`` (an audio-only feed);
    ``seconds_since_frame`` counts from the last packet of the feed's main kind (video, or audio
    for an audio-only feed), None before the first; ``court`` and ``place`` name the room when the
    host knows it (a courtroom), else None.
    """
    items = [
        {
            "id": feed.feed_id,
            "room": feed.room,
            "court": _place(scope, feed.room, "court"),
            "place": _place(scope, feed.room, "name"),
            "stream": feed.stream,
            "stream_label": stream_label(feed.stream),
            "case_number": _case_number(scope, feed.room, feed.telemetry),
            "device_id": feed.device_id,
            "kinds": list(feed.kinds),
            "connected": feed.connected,
            "seconds_since_frame": feed.seconds_since_frame,
            "viewers": feed.viewers,
            "telemetry": feed.telemetry,
            "public": None if feed.public is None else asdict(feed.public),
        }
        for feed in service.feed_statuses()
        if scope.allows(feed.feed_id)
    ]
    return {"feeds": items}


def _case_number(scope: FeedScope, room: str, telemetry: Mapping[str, object] | None) -> str | None:
    """The official number of the case the feed's device names, when the host knows it."""
    place = scope.places.get(room)
    case = (telemetry or {}).get("case")
    if place is None or not isinstance(case, str):
        return None
    return place.case_numbers.get(case)


def _place(scope: FeedScope, room: str, part: str) -> str | None:
    place = scope.places.get(room)
    return None if place is None else str(getattr(place, part))


@router.get("/api/config")
async def config(request: Request, service: ServiceDep, scope: OperatorScopeDep) -> dict[str, object]:
    """What the wall's browser needs: the configured ICE servers, and its links (back to the portal,
    sign-out with the token its form needs)."""
    servers = [server.model_dump(exclude_none=True) for server in service.settings.ice_servers]
    links: WallLinks = request.app.state.wall_links
    return {
        "iceServers": servers,
        "links": {"portal": links.portal, "signOut": links.sign_out, "signOutToken": scope.sign_out_token},
    }


@router.get("/api/telemetry")
async def telemetry(service: ServiceDep, scope: OperatorScopeDep) -> dict[str, dict[str, object]]:
    """The latest telemetry report of every feed in the caller's scope that sent one."""
    reports = service.telemetry_snapshot()
    return {feed_id: report for feed_id, report in reports.items() if scope.allows(feed_id)}
