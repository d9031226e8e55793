"""Static assets: our own CSS/JS, and hls.js from the npm install (never copied into the repository)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from portal.errors import NotFoundError
from portal.web.deps import ContextDep

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parents[3] / "static"
REPO_HLS_JS = Path(__file__).resolve().parents[4] / "node_modules" / "hls.js" / "dist" / "hls.min.js"
_OWN = {
    "portal.css": "text/css; charset=utf-8",
    "player.js": "text/javascript; charset=utf-8",
    "live.js": "text/javascript; charset=utf-8",
    "replay.js": "text/javascript; charset=utf-8",
    "channels.js": "text/javascript; charset=utf-8",
    "level.js": "text/javascript; charset=utf-8",
}
_CACHE = {"Cache-Control": "public, max-age=3600"}
# the GPS trace drawing is the wall's own (streaming), so the wall and the review player draw alike
TRACK_TRACE_JS = (
    Path(__file__).resolve().parents[4] / "streaming" / "server" / "web" / "static" / "track_trace.js"
)


@router.get("/static/hls.min.js")
def hls_js(context: ContextDep) -> FileResponse:
    """hls.js as installed by ``npm ci`` (COURTREC_PORTAL_HLS_JS_PATH overrides where it is)."""
    path = context.settings.portal_hls_js_path or REPO_HLS_JS
    if not path.is_file():
        raise NotFoundError("hls.js is not installed: run `make setup` (npm ci)")
    return FileResponse(path, media_type="text/javascript; charset=utf-8", headers=_CACHE)


@router.get("/favicon.svg")
@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The portal's icon (an SVG, which browsers take at either address)."""
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml", headers=_CACHE)


@router.get("/static/track_trace.js")
def track_trace_js() -> FileResponse:
    """The GPS trace drawing (an SVG over a grid; no map tiles) shared with the command-centre wall."""
    return FileResponse(TRACK_TRACE_JS, media_type="text/javascript; charset=utf-8", headers=_CACHE)


@router.get("/static/{name}")
def own_asset(name: str) -> FileResponse:
    """One of the portal's own static files."""
    if name not in _OWN:
        raise NotFoundError("no such file")
    return FileResponse(STATIC_DIR / name, media_type=_OWN[name], headers=_CACHE)
