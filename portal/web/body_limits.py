"""The portal's request-body limits and its 413 answer (enforced by the live server's
``BodyLimitMiddleware``, before any route parses a body).

Every body (forms, JSON, agent reports) may be up to ``portal_max_body_bytes``; WHIP and WHEP offers
to the mounted live server up to ``portal_max_sdp_bytes``. API paths get JSON ``{"detail": …}``,
pages the portal's Chinese error page.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.types import ASGIApp, Scope

from portal.settings import PortalSettings
from portal.web.http_errors import machine_readable
from portal.web.live.live_wall import LIVE_PREFIX
from portal.web.templates import render
from streaming.server.web.body_limit import CLOSE_HEADERS, BodyLimits


def portal_body_limits(settings: PortalSettings) -> BodyLimits:
    """Offers under ``/live/whip/`` and ``/live/whep/`` up to ``portal_max_sdp_bytes``, everything
    else up to ``portal_max_body_bytes``."""
    sdp = settings.portal_max_sdp_bytes
    return BodyLimits(
        settings.portal_max_body_bytes, ((f"{LIVE_PREFIX}/whip/", sdp), (f"{LIVE_PREFIX}/whep/", sdp))
    )


def too_large(scope: Scope, limit: int) -> ASGIApp:
    """The portal's 413: JSON for API calls, the error page for browsers."""
    kib = max(1, limit // 1024)
    if machine_readable(scope["path"]):
        detail = f"请求内容过大：超过 {limit} 字节的上限"
        return JSONResponse({"detail": detail}, status_code=413, headers=CLOSE_HEADERS)
    message = f"提交的内容过大（上限 {kib} KiB），请删减后重新提交。"
    return render(
        Request(scope),
        "error.html",
        {"title": "内容过大", "message": message},
        status=413,
        headers=CLOSE_HEADERS,
    )
