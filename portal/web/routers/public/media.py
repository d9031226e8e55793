"""``/media/<token>``: the portal relays one stored init or media segment to a browser that holds a
token the portal signed (see ``portal.web.media.relay_tokens``) — used instead of presigned store
URLs when browsers cannot reach the store (``COURTREC_PORTAL_MEDIA_DELIVERY=portal``).

The token is the whole authorisation, exactly like a presigned URL: the segment route that issued it
has already decided access (and audited it); an expired, forged or altered token is a 404.

The object is streamed in chunks read in worker threads (memory per request is a couple of chunks,
not the segment) and hashed on the way: its last chunk is sent only once the whole object matched
its ``sha256`` metadata. On a mismatch the response is cut short of its Content-Length, so the
browser sees a failed transfer, never a wrong segment that looks complete; the mismatch is logged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import StreamingResponse

from archive import ArchiveError, ChecksumMismatchError, ObjectNotFoundError
from portal.errors import NotFoundError, StoreError
from portal.web.deps import ContextDep
from portal.web.media.relay_tokens import MediaTokens
from portal.web.media.verified_body import first_chunk, relayed

logger = logging.getLogger(__name__)
router = APIRouter(tags=["media"])

_TYPES = {".mp4": "video/mp4", ".m4s": "video/iso.segment"}
TokenPath = Annotated[str, Path(max_length=1200, pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]


@router.get(
    "/media/{token}",
    summary="Relayed segment (short-lived token)",
    response_class=StreamingResponse,
    responses={200: {"content": {"video/mp4": {}}}, 404: {}},
)
async def relayed_object(token: TokenPath, context: ContextDep) -> StreamingResponse:
    """The object the token names, while the token lives."""
    store = context.store
    if store is None:
        raise StoreError("no recording archive is configured")
    key = MediaTokens(context.secret_key, context.clock.now).key_of(token)
    try:
        stream = await asyncio.to_thread(store.open_verified, key)
        chunks, first = await first_chunk(stream)
    except ObjectNotFoundError:
        raise NotFoundError() from None
    except ChecksumMismatchError as exc:
        logger.error("relay of %s refused: %s", key, exc)
        raise NotFoundError() from exc
    except ArchiveError as exc:
        raise StoreError(f"the segment could not be read: {exc}") from exc
    suffix = key[key.rfind(".") :] if "." in key.rsplit("/", 1)[-1] else ""
    headers = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"}
    if stream.size is not None:
        headers["Content-Length"] = str(stream.size)
    return StreamingResponse(
        relayed(stream, chunks, first),
        media_type=_TYPES.get(suffix, "application/octet-stream"),
        headers=headers,
    )
