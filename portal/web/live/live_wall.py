"""The command-centre wall as a portal page: the live app mounted under ``/live`` behind operator sign-in.

Who may watch: a signed-in staff user whose role is ``operator`` — or ``admin``, as everywhere in the
portal (``deps.require_roles`` always admits admins: court IT must be able to check the wall).
Parties, other staff roles and anonymous callers are refused.

Two layers, both reading the portal's session cookie server-side:

* :class:`LiveGate` wraps the mounted app and answers for the portal before the live app sees the
  request: anonymous → the portal's error handling (the wall page redirects to ``/login``, API and
  WHEP calls get 401 JSON); signed in without the role → 403 (audited like every portal denial).
  Devices' WHIP ingest, the public pages and HLS files and the static assets are not gated: WHIP
  keeps its own per-device bearer tokens, public live checks that a hearing is broadcast.
  The live app's own broadcast controls (``/api/public/…``: open, close, cut, resume) are refused to
  everyone (403): in the portal, public broadcasts follow the hearing schedule
  (``broadcast_scheduler``) and clerks cut and resume them on ``/staff/broadcasts``.
* :func:`operator_authorizer` is the ``authorize`` injected into the live app, so its own operator
  check (wall, WHEP, operator API) agrees with the gate even if a path were ever left ungated. It
  also answers which feeds the caller may watch: an operator sees only the rooms of its courts (its
  own and those granted in ``operator_courts``, see ``live_scope``); an administrator sees all.
  The wall's feed list, the feed API and WHEP answer only those (a feed outside them is 404).

Devices publish only the feeds they are bound to (``COURTREC_STREAMING_DEVICE_ROOMS`` until the
device registry holds bindings); every refused publication is written to the audit log
(:func:`audit_publish_refusals`).
"""

from __future__ import annotations

import asyncio

from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from portal.audit.trail import AuditAction, AuditEntry
from portal.errors import AuthenticationError, PermissionDeniedError
from portal.identity.principal import Principal
from portal.models import Role
from portal.web.context import PortalContext
from portal.web.deps import caller_of
from portal.web.live.live_scope import feed_scope_of, room_places
from streaming.server.auth import Authorizer, FeedScope
from streaming.server.bindings import PublishRefusal, RefusalSink
from streaming.server.service import LiveService
from streaming.server.web.app import create_app as create_live_app
from streaming.server.web.wall_links import WallLinks

LIVE_PREFIX = "/live"
WALL_PATH = f"{LIVE_PREFIX}/wall"
WATCH_ROLES = frozenset({Role.OPERATOR, Role.ADMIN})
# Paths of the live app (below the mount) that carry their own access control.
_UNGATED_PREFIXES = ("/whip/", "/public/", "/static/")
# Paths of the live app the portal keeps to itself (see the module docstring).
_PORTAL_DECIDES = "/api/public/"


def may_watch(principal: Principal | None) -> bool:
    """True for a signed-in operator (or admin); False for parties, other roles and anonymous."""
    return principal is not None and not principal.actor.is_party and principal.actor.role in WATCH_ROLES


def operator_authorizer(context: PortalContext) -> Authorizer:
    """The live app's operator check: None unless the portal session of the request belongs to an
    operator (or admin); else the feeds it may watch (read from the database off the loop)."""

    async def authorize(connection: HTTPConnection) -> FeedScope | None:
        principal = await caller_of(Request(connection.scope), context)
        if principal is None or not may_watch(principal):
            return None
        return await asyncio.to_thread(_scope_of, context, principal)

    return authorize


def _scope_of(context: PortalContext, principal: Principal) -> FeedScope:
    with context.readonly_sessions() as db:
        scope = feed_scope_of(db, principal.actor)
        places = room_places(db, scope, now=context.clock.now())
    return FeedScope(scope.rooms, places=places, sign_out_token=principal.csrf_token)


def audit_publish_refusals(context: PortalContext) -> RefusalSink:
    """Appends each refused WHIP publication to the audit log (``access_denied``, actor the device)."""

    async def record(refusal: PublishRefusal) -> None:
        entry = AuditEntry(
            actor=f"device:{refusal.device_id}"[:200],
            action=AuditAction.ACCESS_DENIED,
            target=f"POST /live/whip/{refusal.feed_id}"[:200],
            outcome="403",
            ip=refusal.client,
            detail={"reason": refusal.reason[:300]},
        )
        await context.audit_batch.record(entry, at=context.clock.now())

    return record


class LiveGate:
    """ASGI wrapper of the mounted live app: refuses non-operators on every gated path (see module)."""

    def __init__(self, app: ASGIApp, context: PortalContext) -> None:
        self._app = app
        self._context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _gated(scope):
            principal = await caller_of(Request(scope, receive), self._context)
            if principal is None:
                raise AuthenticationError("请值班员先登录")
            if not may_watch(principal):
                raise PermissionDeniedError("指挥中心视频墙仅供值班员使用")
            if _inner_path(scope).startswith(_PORTAL_DECIDES):
                raise PermissionDeniedError(
                    "公开直播按庭审排期自动开始和结束；书记员可在“直播管理”页面中断或恢复直播"
                )
        # The live app is its own root below the mount: its url_for (WHIP/WHEP Location headers)
        # resolves its own route names (not the host router's) under /live.
        inner = {key: value for key, value in scope.items() if key != "router"}
        inner["app_root_path"] = scope.get("root_path", "")
        await self._app(inner, receive, send)


def _inner_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _gated(scope: Scope) -> bool:
    return not _inner_path(scope).startswith(_UNGATED_PREFIXES)


def gated_live_app(context: PortalContext, service: LiveService) -> ASGIApp:
    """The live app around ``service`` behind the operator gate, to mount at ``LIVE_PREFIX``.

    The gate raises portal errors, which the host app's handlers answer (it must be the portal).
    The host's lifespan must await ``service.start()`` and ``service.stop()``: a mounted app's own
    lifespan never runs."""
    live_app = create_live_app(
        service,
        authorize=operator_authorizer(context),
        publish_refused=audit_publish_refusals(context),
        wall_links=WallLinks(portal="/staff", sign_out="/logout"),
    )
    return LiveGate(live_app, context)
