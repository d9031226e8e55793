"""``/media/<token>``: the portal relays one stored init or media segment to a browser that holds a
token the portal signed (see ``portal.web.media.relay_tokens``) — used instead of presigned store
URLs when browsers cannot reach the store (``COURTREC_PORTAL_MEDIA_DELIVERY=portal``).

The token is the whole authorisation, exactly like a presigned URL: the segment route that issued it
has already decided access (and audited it); an expired, forged or altered token is a 404.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from archive import ArchiveError, ObjectNotFoundError
from portal.errors import NotFoundError, StoreError
from portal.web.deps import ContextDep
from portal.web.media.relay_tokens import MediaTokens

router = APIRouter(tags=["media"])

_TYPES = {".mp4": "video/mp4", ".m4s": "video/iso.segment"}
TokenPath = Annotated[str, Path(max_length=1200, pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]


@router.get(
    "/media/{token}",
    summary="Relayed segment (short-lived token)",
    response_class=Response,
    responses={200: {"content": {"video/mp4": {}}}, 404: {}},
)
async def relayed_object(token: TokenPath, context: ContextDep) -> Response:
    """The object the token names, while the token lives."""
    store = context.store
    if store is None:
        raise StoreError("no recording archive is configured")
    key = MediaTokens(context.secret_key, context.clock.now).key_of(token)
    try:
        data = await asyncio.to_thread(store.read_bytes, key)
    except ObjectNotFoundError:
        raise NotFoundError() from None
    except ArchiveError as exc:
        raise StoreError(f"the segment could not be read: {exc}") from exc
    suffix = key[key.rfind(".") :] if "." in key.rsplit("/", 1)[-1] else ""
    return Response(
        data,
        media_type=_TYPES.get(suffix, "application/octet-stream"),
        headers={"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"},
    )
