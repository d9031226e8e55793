"""The command-centre wall: its page, the operator sign-in form (standalone), and the feeds API."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from streaming.server.auth import OPERATOR_COOKIE, TokenAuthorizer
from streaming.server.web.http_deps import OperatorDep, OperatorScopeDep, ServiceDep, require_operator

STATIC = Path(__file__).parent / "static"
router = APIRouter()


@router.get("/wall", response_model=None)
async def wall(request: Request) -> Response:
    """The wall page for signed-in operators; the sign-in form (401) for anyone else."""
    try:
        await require_operator(request)
    except HTTPException:
        return FileResponse(STATIC / "login.html", status_code=401, media_type="text/html")
    return FileResponse(STATIC / "wall.html", media_type="text/html", headers={"Cache-Control": "no-store"})


@router.post("/wall/login", response_model=None)
async def login(request: Request) -> Response:
    """Standalone sign-in: a correct operator token sets an HttpOnly cookie and returns to the wall."""
    checker = request.app.state.authorize
    body = (await request.body())[:1024].decode("utf-8", "replace")
    token = (parse_qs(body).get("token") or [""])[0]
    if not isinstance(checker, TokenAuthorizer) or not token or not checker.matches(token):
        return HTMLResponse("<p>Sign-in refused. <a href='wall'>Try again</a></p>", status_code=401)
    response = RedirectResponse(str(request.url_for("wall")), status_code=303)
    response.set_cookie(
        OPERATOR_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return response


@router.get("/api/feeds")
async def feeds(service: ServiceDep, scope: OperatorScopeDep) -> dict[str, object]:
    """Every listed feed in the caller's scope with its label, media kinds, telemetry and freshness,
    for the wall (polled).

    ``kinds`` is ``["audio", "video"]``, ``["video"]`` or ``["audio"]`` (an audio-only feed);
    ``seconds_since_frame`` counts from the last packet of the feed's main kind (video, or audio
    for an audio-only feed), None before the first.
    """
    items = [
        {
            "id": feed.feed_id,
            "room": feed.room,
            "stream": feed.stream,
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


@router.get("/api/config", dependencies=[OperatorDep])
async def config(service: ServiceDep) -> dict[str, object]:
    """What the wall's browser needs to connect: the configured ICE servers."""
    servers = [server.model_dump(exclude_none=True) for server in service.settings.ice_servers]
    return {"iceServers": servers}


@router.get("/api/telemetry")
async def telemetry(service: ServiceDep, scope: OperatorScopeDep) -> dict[str, dict[str, object]]:
    """The latest telemetry report of every feed in the caller's scope that sent one."""
    reports = service.telemetry_snapshot()
    return {feed_id: report for feed_id, report in reports.items() if scope.allows(feed_id)}
