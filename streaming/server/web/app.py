"""The live ASGI app: WHIP/WHEP, the wall and its API, public HLS; mountable in the portal.

Standalone (``python -m streaming serve``) the app's lifespan starts its LiveService and, with
``own_service``, stops it. A host app that mounts it (``portal_app.mount("/live", live_app)``) must
await ``service.start()`` and ``service.stop()`` from its own lifespan: Starlette does not run a
mounted app's lifespan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Scope

from streaming.server.auth import Authorizer, DeviceTokens, TokenAuthorizer, deny_all
from streaming.server.bindings import RefusalSink
from streaming.server.service import LiveService
from streaming.server.web import routes_public, routes_wall, routes_webrtc
from streaming.server.web.body_limit import CLOSE_HEADERS, BodyLimitMiddleware, BodyLimits
from streaming.server.web.cors import CorsMiddleware
from streaming.server.web.http_errors import install_error_handlers
from streaming.server.web.wall_links import WallLinks
from streaming.settings import StreamingSettings

STATIC = Path(__file__).parent / "static"


def create_app(
    service: LiveService,
    *,
    authorize: Authorizer | None = None,
    own_service: bool = False,
    publish_refused: RefusalSink | None = None,
    wall_links: WallLinks | None = None,
) -> FastAPI:
    """The live app around ``service``.

    ``authorize`` decides who is a signed-in operator (wall, WHEP, operator API) and which feeds it
    may watch; by default the settings' operator token (bearer header or sign-in cookie, every
    feed), and with no token nobody. ``publish_refused`` receives every refused WHIP publication
    (besides the security log), e.g. to audit it. ``wall_links`` are the wall's header links (by
    default its own sign-out and no portal).
    The app's lifespan starts the service; with ``own_service`` it also stops it at shutdown.
    """
    settings = service.settings

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            if own_service:
                await service.stop()

    app = FastAPI(title="courtrec live", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app)
    app.state.live_service = service
    app.state.authorize = authorize or default_authorizer(settings)
    app.state.device_tokens = DeviceTokens(settings.device_tokens)
    app.state.publish_refused = publish_refused
    app.state.wall_links = wall_links or WallLinks()
    app.include_router(routes_webrtc.router)
    app.include_router(routes_wall.router)
    app.include_router(routes_public.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(BodyLimitMiddleware, limits=body_limits(settings), too_large=too_large)
    # outermost, so that every answer to an allowed origin (a 413 or 401 too) is readable by its page
    app.add_middleware(CorsMiddleware, allowed_origins=settings.cors_origins)
    return app


def body_limits(settings: StreamingSettings) -> BodyLimits:
    """Offers (WHIP, WHEP) up to ``max_sdp_bytes``; every other body up to ``max_body_bytes``."""
    sdp = settings.max_sdp_bytes
    return BodyLimits(settings.max_body_bytes, (("/whip/", sdp), ("/whep/", sdp)))


def too_large(_scope: Scope, limit: int) -> ASGIApp:
    """The live server's 413: JSON ``{"detail": …}`` like its other errors, in Chinese (the wall and
    the public pages may show it)."""
    detail = f"请求内容过大：超过 {limit} 字节的上限"
    return JSONResponse({"detail": detail}, status_code=413, headers=CLOSE_HEADERS)


def default_authorizer(settings: StreamingSettings) -> Authorizer:
    """The operator token's checker, or refuse-everything when no token is configured."""
    if settings.operator_token is None:
        return deny_all
    return TokenAuthorizer(settings.operator_token)
