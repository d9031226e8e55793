"""FastAPI dependencies: the context, the caller, role checks and CSRF checks (deny by default)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request

from archive.formats.identifiers import IDENTIFIER_PATTERN
from portal.db import transaction
from portal.errors import AuthenticationError, PermissionDeniedError
from portal.identity.principal import Principal, peek_principal, resolve_principal
from portal.identity.sessions import token_hash
from portal.models import Role
from portal.web.context import PortalContext
from portal.web.csrf import CSRF_HEADER, check_session_token


def session_cookie_name(context: PortalContext) -> str:
    """``__Host-session`` when cookies are Secure, else ``session`` (development over plain HTTP)."""
    return f"{context.settings.cookie_prefix}session"


async def get_context(request: Request) -> PortalContext:
    """The PortalContext the app factory stored on the application."""
    context: PortalContext = request.app.state.portal
    return context


ContextDep = Annotated[PortalContext, Depends(get_context)]
_UNRESOLVED = object()


def client_ip(request: Request) -> str:
    """The peer address (the portal runs behind no proxy it trusts for X-Forwarded-For)."""
    return request.client.host if request.client is not None else ""


async def get_optional_principal(request: Request) -> Principal | None:
    """The signed-in caller, or None (no cookie, unknown or expired session); see :func:`caller_of`."""
    context: PortalContext = request.app.state.portal
    return await caller_of(request, context)


async def caller_of(request: Request, context: PortalContext) -> Principal | None:
    """The signed-in caller of ``request`` by ``context``'s sessions; resolved once per request.

    Without a cookie this never touches the database; a session read within the last moment (see
    ``portal.identity.read_cache``) is not read again; otherwise the look-up runs in a worker thread.
    """
    known: object = getattr(request.state, "principal", _UNRESOLVED)
    if known is not _UNRESOLVED:
        return known if isinstance(known, Principal) else None
    token = request.cookies.get(session_cookie_name(context))
    principal = None
    if token and len(token) <= 128:
        key = token_hash(token)
        signed_in = context.signed_in.get(key)
        now, policy = context.clock.now(), context.session_policy
        if signed_in is None or signed_in.needs_write(now=now, policy=policy):
            principal = await asyncio.to_thread(_resolve, context, token, key)
        else:
            principal = signed_in.principal
    request.state.principal = principal  # for templates and the audit of denials
    return principal


def _resolve(context: PortalContext, token: str, key: str) -> Principal | None:
    now, policy = context.clock.now(), context.session_policy

    stamp = context.signed_in.stamp()
    with context.readonly_sessions() as db:
        signed_in, decided = peek_principal(db, token, now=now, policy=policy)
    if signed_in is not None:
        context.signed_in.put(key, signed_in, stamp)
        return signed_in.principal
    if decided:
        return None
    with transaction(context.sessions) as db:  # expired, due for a touch, or its user disabled
        return resolve_principal(db, token, now=now, policy=policy)


OptionalPrincipal = Annotated[Principal | None, Depends(get_optional_principal)]


async def get_principal(request: Request) -> Principal:
    """The signed-in caller; AuthenticationError when there is none."""
    principal = await get_optional_principal(request)
    if principal is None:
        raise AuthenticationError("请先登录")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_party(request: Request) -> Principal:
    """The caller, who must be a party signed in for its case; PermissionDeniedError otherwise.

    (Calls the other dependencies directly rather than through ``Depends``: this guards the playback
    endpoints, the portal's busiest, and each level of dependency costs every request.)
    """
    principal = await get_principal(request)
    if not principal.actor.is_party:
        raise PermissionDeniedError("此页面仅供凭案号登录的当事人使用")
    return principal


CurrentParty = Annotated[Principal, Depends(get_party)]


def require_roles(*roles: Role) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency that admits staff with one of ``roles`` (admins always) and denies everyone else."""
    allowed = frozenset(roles) | {Role.ADMIN}

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.actor.is_party or principal.actor.role not in allowed:
            raise PermissionDeniedError("您的岗位无权进行此操作")
        return principal

    return dependency


StaffDep = Annotated[Principal, Depends(require_roles(Role.CLERK, Role.JUDGE, Role.OPERATOR))]
ClerkDep = Annotated[Principal, Depends(require_roles(Role.CLERK))]
DeciderDep = Annotated[Principal, Depends(require_roles(Role.CLERK, Role.JUDGE))]
OperatorDep = Annotated[Principal, Depends(require_roles(Role.OPERATOR))]
AdminDep = Annotated[Principal, Depends(require_roles())]


async def csrf_header(
    principal: CurrentPrincipal,
    token: Annotated[str | None, Header(alias=CSRF_HEADER, include_in_schema=False)] = None,
) -> Principal:
    """For JSON calls that change state: the session's CSRF token must come in ``X-CSRF-Token``."""
    check_session_token(principal.csrf_token, token)
    return principal


CsrfChecked = Annotated[Principal, Depends(csrf_header)]


IdPath = Annotated[int, Path(ge=1, le=2_147_483_647, description="a positive id")]
RecordingIdPath = Annotated[str, Path(min_length=1, max_length=128, pattern=IDENTIFIER_PATTERN)]
