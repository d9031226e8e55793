"""Public live: the page and HLS files of hearings broadcast publicly — and nothing else — plus the
clerk's controls (open, close, cut, resume) behind the operator check, for feeds in its scope.

Every public URL checks that the feed is broadcast *now* and names its current broadcast (a file of
an earlier broadcast of the feed is never served, even before its withdrawal has gone through);
file names are matched against the exact names the packager writes, so no other path under the
public directory can be reached.
"""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import asdict
from pathlib import Path

from fastapi import APIRouter, HTTPException, Response
from fastapi.responses import FileResponse, HTMLResponse

from streaming.errors import FeedNotFoundError
from streaming.feed_id import feed_id_of
from streaming.server.service import LiveService
from streaming.server.web.http_deps import OperatorScopeDep, ServiceDep

STATIC = Path(__file__).parent / "static"
_PUBLIC_FILE = re.compile(
    r"((live|index)\.m3u8|status\.json|init-[0-9]{4,9}\.mp4|[0-9]{4,9}-[0-9]{6,9}\.m4s)", re.ASCII
)
_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".json": "application/json",
    ".mp4": "video/mp4",
    ".m4s": "video/iso.segment",
}
router = APIRouter()


def _public_feed(service: LiveService, room: str, stream: str) -> str:
    """The feed id of ``room/stream`` when it is broadcast publicly now; FeedNotFoundError otherwise."""
    feed_id = feed_id_of(room, stream)
    if not service.is_public(feed_id):
        raise FeedNotFoundError("no such public broadcast")
    return feed_id


@router.get("/static/vendor/hls.min.js")
async def hls_js(service: ServiceDep) -> FileResponse:
    """hls.js as installed from npm at set-up (never copied into the repository)."""
    path = service.settings.node_modules / "hls.js" / "dist" / "hls.min.js"
    if not path.is_file():
        raise HTTPException(status_code=404, detail="hls.js is not installed: run `npm ci` (make setup)")
    return FileResponse(path, media_type="text/javascript")


@router.get("/public/{room}/{stream}", response_class=HTMLResponse)
async def public_page(room: str, stream: str, service: ServiceDep) -> HTMLResponse:
    """The public player page of a hearing broadcast publicly (404 for anything else)."""
    feed_id = _public_feed(service, room, stream)
    page = (STATIC / "public.html").read_text()
    title = html.escape(f"{room} 庭审直播")
    base = service.settings.public_base_url
    media = service.public_media_path(feed_id)  # this broadcast's own directory
    source = html.escape(f"{base.rstrip('/')}/{media}/" if base else f"../hls/{media}/", quote=True)
    return HTMLResponse(page.replace("{{title}}", title).replace("{{source}}", source))


@router.get("/public/hls/{room}/{stream}/{broadcast}/{name}")
async def public_file(room: str, stream: str, broadcast: str, name: str, service: ServiceDep) -> Response:
    """A playlist, init segment, media segment or status file of the feed's current broadcast."""
    feed_id = _public_feed(service, room, stream)
    if broadcast != service.public_broadcast_id(feed_id) or not _PUBLIC_FILE.fullmatch(name):
        raise HTTPException(status_code=404, detail="no such public file")
    path = service.settings.public_dir / feed_id / broadcast / name
    try:
        # Read whole, once: the playlist and status are replaced by rename while being served, and a
        # size taken before opening could announce another version's length (Content-Length race).
        data = await asyncio.to_thread(path.read_bytes)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise HTTPException(status_code=404, detail="not published (yet)") from None
    suffix = path.suffix
    caching = "no-cache" if suffix in (".m3u8", ".json") else "public, max-age=3600, immutable"
    return Response(data, media_type=_TYPES[suffix], headers={"Cache-Control": caching})


@router.post("/api/public/{room}/{stream}")
async def open_broadcast(
    room: str,
    stream: str,
    *,
    service: ServiceDep,
    scope: OperatorScopeDep,
    mask: bool | None = None,
    delay: float | None = None,
    sound: str | None = None,
) -> dict[str, object]:
    """Start broadcasting a hearing publicly (the portal calls this for hearings marked public).

    ``mask`` defaults to the server's ``mask_faces`` setting; ``sound`` names the stream of the same
    room whose audio is the broadcast's sound (the courtroom's microphone, e.g. ``mic-1``) while it
    is published — the room's microphones' mix (``mix``) instead while that is published; 409
    (FaceMaskingError) when masking cannot run here, 400 for a malformed name."""
    feed_id = scope.require(feed_id_of(room, stream))
    sound_feed_id = scope.require(feed_id_of(room, sound)) if sound else None
    if delay is not None and not 0 <= delay <= 600:
        raise HTTPException(status_code=422, detail="delay must be 0..600 seconds")
    service.open_public(feed_id, mask=mask, delay=delay, sound_feed_id=sound_feed_id)
    return {"feed": feed_id, "public": _public_json(service, feed_id)}


@router.delete("/api/public/{room}/{stream}")
async def close_broadcast(
    room: str, stream: str, service: ServiceDep, scope: OperatorScopeDep
) -> dict[str, object]:
    """Stop broadcasting publicly and withdraw every public file of it."""
    feed_id = scope.require(feed_id_of(room, stream))
    await service.close_public(feed_id)
    return {"feed": feed_id, "public": None}


@router.post("/api/public/{room}/{stream}/cut")
async def cut(room: str, stream: str, service: ServiceDep, scope: OperatorScopeDep) -> dict[str, object]:
    """The clerk's cut: withhold everything not yet published, immediately (the record is untouched)."""
    feed_id = scope.require(feed_id_of(room, stream))
    dropped = service.cut_public(feed_id)
    return {"feed": feed_id, "withheld_segments": dropped, "public": _public_json(service, feed_id)}


@router.post("/api/public/{room}/{stream}/resume")
async def resume(room: str, stream: str, service: ServiceDep, scope: OperatorScopeDep) -> dict[str, object]:
    """Resume the public broadcast after a cut (after the broadcast delay again)."""
    feed_id = scope.require(feed_id_of(room, stream))
    service.resume_public(feed_id)
    return {"feed": feed_id, "public": _public_json(service, feed_id)}


def _public_json(service: LiveService, feed_id: str) -> dict[str, object] | None:
    status = service.public_state(feed_id)
    return None if status is None else asdict(status)
