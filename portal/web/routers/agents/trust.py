"""The trust API ``archive verify --portal`` reads: the signed list of approved device keys and a
recording's anchored checkpoint heads (``Authorization: Bearer`` COURTREC_PORTAL_VERIFY_TOKEN)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Response

from portal.devices.exports import export_heads, export_key_list, portal_signing_key
from portal.errors import AuthenticationError
from portal.web.context import PortalContext
from portal.web.deps import ContextDep, RecordingIdPath

router = APIRouter(tags=["trust"])

_JSON = "application/json"


@router.get("/api/trust/device-keys", summary="Signed list of approved device keys", responses={401: {}})
def api_device_keys(context: ContextDep, authorization: Annotated[str | None, Header()] = None) -> Response:
    """The approved device keys, signed with the portal's key (``courtrec-device-keys-v1``)."""
    _require_verifier(context, authorization)
    signer = portal_signing_key(context.settings)
    with context.readonly_sessions() as db:
        body = export_key_list(db, signer, now=context.clock.now())
    return Response(body, media_type=_JSON, headers={"Cache-Control": "no-store"})


@router.get(
    "/api/trust/recordings/{recording_id}/anchors", summary="Anchored checkpoint heads", responses={401: {}}
)
def api_anchors(
    context: ContextDep, recording_id: RecordingIdPath, authorization: Annotated[str | None, Header()] = None
) -> Response:
    """Every checkpoint head agents reported for the recording (``courtrec-anchors-v1``)."""
    _require_verifier(context, authorization)
    with context.readonly_sessions() as db:
        body = export_heads(db, now=context.clock.now(), recording_id=recording_id)
    return Response(body, media_type=_JSON, headers={"Cache-Control": "no-store"})


def _require_verifier(context: PortalContext, authorization: str | None) -> None:
    expected = context.settings.verify_token()
    presented = (authorization or "").removeprefix("Bearer ").strip()
    if expected is None or not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise AuthenticationError("a verifier must present the trust API's bearer token")
