"""The app factory: wires settings, database, clock and archive store into a FastAPI app (no logic)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from archive.store import ObjectStore, PublicOrigin
from portal.audit.batcher import AuditBatcher
from portal.audit.public_views import PublicViewLog
from portal.broadcasting.control import InProcessBroadcasts
from portal.broadcasting.live_origin import live_on_origin
from portal.broadcasting.scheduler import BroadcastScheduler
from portal.clock import Clock, SystemClock
from portal.db import make_engine, make_sessionmaker
from portal.devices.heartbeat_pruning import HeartbeatPruner
from portal.identity.read_cache import ReadCache, WriteCounter
from portal.replays.manifest_cache import MaskedManifestCache
from portal.replays.masking_worker import MaskedReplayWorker, ReplaySources
from portal.review.gate import PlaybackGate
from portal.review.playback import PlaylistTexts
from portal.review.track_cache import TrackCache
from portal.settings import MediaDelivery, PortalSettings
from portal.web.agent_gate import AgentTokenGate
from portal.web.body_limits import portal_body_limits, too_large
from portal.web.context import PortalContext
from portal.web.http_errors import install_error_handlers
from portal.web.live.live_wall import LIVE_PREFIX, WALL_PATH, gated_live_app
from portal.web.media.relay_tokens import MediaTokens
from portal.web.openapi_errors import document_errors
from portal.web.public_cache import PublicCache
from portal.web.routers.agents import (
    agent_fleet,
    agent_schedule,
    recordings,
    trust,
)
from portal.web.routers.parties import (
    party,
    playback,
)
from portal.web.routers.public import (
    api_docs,
    assets,
    auth,
    media,
    notices,
    replays,
)
from portal.web.routers.staff import (
    access_passwords,
    broadcasts,
    cases,
    compliance,
    courtrooms,
    enforcement,
    fleet,
    gap_explanations,
    hearing_changes,
    hearings,
    public_views,
    replay_withdrawals,
    reviews,
    staff_recordings,
)
from portal.web.security_headers import SecurityHeadersMiddleware, content_security_policy, origin_of
from portal.web.templates import make_environment
from streaming.public.face_mask import default_mask_factory
from streaming.server.service import LiveService
from streaming.server.web.body_limit import BodyLimitMiddleware
from streaming.settings import StreamingSettings


def _lifespan(
    context: PortalContext,
    live_service: LiveService | None,
    scheduler: BroadcastScheduler | None,
    pruner: HeartbeatPruner,
    masker: MaskedReplayWorker | None,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """What runs beside the requests: the live service, the broadcast schedule, heartbeat pruning,
    the masking of replays whose faces are to be masked."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if live_service is not None:  # Starlette does not run the mounted live app's lifespan
            await live_service.start()
        if scheduler is not None:
            scheduler.start()  # public broadcasts follow the hearing schedule
        pruner.start()  # the device heartbeat history keeps its last N days
        if masker is not None:
            masker.start()
        try:
            yield
        finally:
            if masker is not None:
                await masker.aclose()
            await pruner.aclose()
            if scheduler is not None:
                await scheduler.aclose()
            if live_service is not None:
                await live_service.stop()
            await asyncio.to_thread(context.audit_batch.close)
            context.engine.dispose()

    return lifespan


def create_app(
    settings: PortalSettings | None = None,
    *,
    store: ObjectStore | None = None,
    clock: Clock | None = None,
    live: StreamingSettings | None = None,
    public_origin: PublicOrigin | None = None,
) -> FastAPI:
    """The portal application. ``settings`` default to the environment's (COURTREC_*); ``store`` is the
    recording archive (None: playback and reconciliation answer 503).

    ``live`` mounts the live server under ``/live`` (the command-centre wall at ``/live/wall``, for
    signed-in operators); with ``settings.portal_live`` and no ``live``, its settings come from the
    environment (COURTREC_STREAMING_*). Off by default. With it, public hearings are broadcast by the
    hearing schedule (``broadcast_scheduler``, started and stopped by the app's lifespan).

    ``public_origin`` (a bucket a CDN serves, see ``live_origin``) receives the public live media
    instead of the live server's directory; public pages then load it from there.

    Raises ConfigurationError for unusable settings (e.g. placeholder secrets outside development).
    """
    settings = settings or PortalSettings()
    settings.check()
    clock = clock or SystemClock()
    secret_key = settings.secret_key()
    relayed = settings.portal_media_delivery == MediaDelivery.PORTAL
    store = _relaying(store, MediaTokens(secret_key, clock.now)) if relayed else store
    engine = make_engine(settings.resolved_database_url())
    sessions = make_sessionmaker(engine)
    readonly_sessions = make_sessionmaker(engine, readonly=True)
    tracks = TrackCache(store)
    writes = WriteCounter(engine, ["web_sessions", "users", "parties", "grants", "recordings"])
    cache_seconds = settings.portal_read_cache_seconds
    audit_batch = AuditBatcher(engine)
    view_window = timedelta(minutes=settings.portal_public_view_window_minutes)
    context = PortalContext(
        settings=settings,
        engine=engine,
        sessions=sessions,
        readonly_sessions=readonly_sessions,
        clock=clock,
        store=store,
        tracks=tracks,
        secret_key=secret_key,
        agent_token=settings.agent_token(),
        display_zone=ZoneInfo(settings.portal_display_timezone),
        public_cache=PublicCache(seconds=lambda: clock.now().timestamp()),
        audit_batch=audit_batch,
        public_views=PublicViewLog(audit_batch, secret_key, clock.now, window=view_window),
        signed_in=ReadCache(writes, ttl=cache_seconds),
        playback_gate=PlaybackGate(readonly_sessions, ReadCache(writes, ttl=cache_seconds), tracks, clock),
        playlists=PlaylistTexts(),
        masked_manifests=MaskedManifestCache(clock.now),
    )
    live, live_service = _live_service(settings, live, public_origin, relayed=relayed)
    scheduler = (
        BroadcastScheduler(context, InProcessBroadcasts(live_service, local_prefix=LIVE_PREFIX))
        if live_service is not None
        else None
    )

    pruner = HeartbeatPruner(sessions, clock, timedelta(days=settings.portal_heartbeat_keep_days))
    masker = _masked_replays(context, live)
    lifespan = _lifespan(context, live_service, scheduler, pruner, masker)

    app = FastAPI(
        title="courtrec portal",
        summary="Hearing notices, party case look-up, review of hearing recordings, audit.",
        version="1.0",
        lifespan=lifespan,
        openapi_url="/openapi.json" if settings.serves_openapi else None,
        docs_url=None,  # our own /docs (api_docs): Swagger UI from npm, under the CSP
        redoc_url=None,
    )
    app.state.portal = context
    app.state.live_service = live_service
    app.state.broadcasts = scheduler
    app.state.masked_replays = masker
    app.state.templates = make_environment(context.display_zone)
    app.state.templates.globals["live_wall_url"] = WALL_PATH if live_service is not None else None
    install_error_handlers(app)
    document_errors(app)
    _include_routers(app, settings)
    if live_service is not None:
        app.mount(LIVE_PREFIX, gated_live_app(context, live_service))
    media_origins = [origin_of(store.config.endpoint)] if store is not None else []
    if live is not None and live.public_base_url:  # public live media from a CDN / object-store prefix
        media_origins.append(origin_of(live.public_base_url))
    # an oversized body is refused before any route, form or JSON parser reads it (inside the
    # security headers, so the 413 page carries them too)
    app.add_middleware(AgentTokenGate, agent_token=context.agent_token)  # before its body is read
    app.add_middleware(BodyLimitMiddleware, limits=portal_body_limits(settings), too_large=too_large)
    app.add_middleware(
        SecurityHeadersMiddleware,
        csp=content_security_policy(media_origins),
        hsts=settings.portal_cookie_secure,
    )
    return app


def _live_service(
    settings: PortalSettings, live: StreamingSettings | None, origin: PublicOrigin | None, *, relayed: bool
) -> tuple[StreamingSettings | None, LiveService | None]:
    """The live server's settings and service when it is mounted (see ``create_app``)."""
    live = live or (StreamingSettings() if settings.portal_live else None)
    if live is None:
        return None, None
    if relayed and not live.public_base_url:  # the portal serves the public live media too (no CDN)
        origin = None
    live, publisher = live_on_origin(live, origin)
    return live, LiveService(live, segment_publisher=publisher)


def _masked_replays(context: PortalContext, live: StreamingSettings | None) -> MaskedReplayWorker | None:
    """The worker making masked replays (with the live broadcast's masker), when there is an archive."""
    if context.store is None:
        return None
    settings = context.settings
    sources = ReplaySources(
        sessions=context.readonly_sessions,
        store=context.store,
        tracks=context.tracks,
        clock=context.clock,
        grace=timedelta(minutes=settings.portal_broadcast_grace_minutes),
        delay_seconds=settings.portal_broadcast_delay_seconds,
        picture_stream=settings.portal_broadcast_stream,
        sound_stream=settings.portal_broadcast_sound_stream,
        mask_all=live is not None and live.mask_faces,
    )
    return MaskedReplayWorker(
        sources,
        lambda: default_mask_factory(live or StreamingSettings()),
        written=context.masked_manifests.forget,
    )


def _relaying(store: ObjectStore | None, tokens: MediaTokens) -> ObjectStore | None:
    """``store`` whose segment URLs are /media/<token> on the portal, not the store's own."""
    return store.with_url_signer(tokens.url) if store is not None else None


def _include_routers(app: FastAPI, settings: PortalSettings) -> None:
    """Every resource's routes (API and pages), and the API docs where the schema is served."""
    for module in (
        notices,
        auth,
        party,
        reviews,
        playback,
        cases,
        access_passwords,
        hearings,
        hearing_changes,
        recordings,
        compliance,
        staff_recordings,
        replays,
        public_views,
        replay_withdrawals,
        gap_explanations,
        trust,
        agent_schedule,
        courtrooms,
        agent_fleet,
        fleet,
        enforcement,
        assets,
        media,
    ):
        app.include_router(module.router)
    app.include_router(broadcasts.router)
    if settings.serves_openapi:
        app.include_router(api_docs.router)
