"""Shared pieces of the HTTP layer: dependencies (service, operator check, device) and SDP bodies."""

from __future__ import annotations

import inspect
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from streaming.server.auth import Authorizer, DeviceTokens, FeedScope
from streaming.server.service import LiveService

SDP_TYPE = "application/sdp"


def get_service(request: Request) -> LiveService:
    """The app's LiveService (set by ``create_app``)."""
    service: LiveService = request.app.state.live_service
    return service


async def require_operator(request: Request) -> FeedScope:
    """The feeds the caller may watch; 401 unless the injected authorizer accepts the request."""
    authorize: Authorizer = request.app.state.authorize
    scope = authorize(request)
    if inspect.isawaitable(scope):
        scope = await scope
    if scope is None:
        raise HTTPException(status_code=401, detail="operator sign-in required")
    return scope


def require_device(request: Request) -> str:
    """The device id whose bearer token the request carries; 401 otherwise."""
    tokens: DeviceTokens = request.app.state.device_tokens
    device = tokens.device_for(request)
    if device is None:
        raise HTTPException(
            status_code=401,
            detail="a device bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return device


async def read_sdp(request: Request) -> str:
    """The request's SDP body; 415 for another content type, 400 when not text. Its size is capped
    before it is read, by the app's ``BodyLimitMiddleware`` (413)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != SDP_TYPE:
        raise HTTPException(status_code=415, detail=f"the body must be {SDP_TYPE}")
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPException(status_code=400, detail="the SDP is not UTF-8 text") from exc
    if not text.startswith("v=0"):
        raise HTTPException(status_code=400, detail="the body is not an SDP offer (it must start with v=0)")
    return text


ServiceDep = Annotated[LiveService, Depends(get_service)]
DeviceDep = Annotated[str, Depends(require_device)]
OperatorDep = Depends(require_operator)
OperatorScopeDep = Annotated[FeedScope, Depends(require_operator)]
