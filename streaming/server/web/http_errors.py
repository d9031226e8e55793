"""The live server's one mapping from streaming errors to HTTP answers, registered once per app.

Routes raise (or let through) the service's errors; nothing maps them route by route. Each answer
is JSON ``{"code", "detail", "reason"}`` (see ``error_texts``: a machine code, a Chinese detail for
the page that shows it, the English reason naming what was wrong for logs), except for a browser asking
for a page, which gets the Chinese error page (``error_pages``); the same holds for Starlette's own
errors (unknown address, wrong method) and for an unexpected exception (500, logged).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from streaming.errors import (
    FaceMaskingError,
    FeedNotFoundError,
    FeedTakenError,
    HlsError,
    InvalidNameError,
    PublishRefusedError,
    SessionLimitError,
    SessionNotFoundError,
    SignalingError,
    StreamingError,
)
from streaming.server.web.error_pages import error_page, wants_page
from streaming.server.web.error_texts import INTERNAL, error_text, status_text

logger = logging.getLogger(__name__)

# First match wins: most specific first.
_STATUS_BY_ERROR: tuple[tuple[type[StreamingError], int], ...] = (
    (InvalidNameError, 400),  # a malformed room/stream name: the request can never succeed
    (SignalingError, 400),  # the offer cannot be negotiated (bad SDP, no H.264, no usable ICE)
    (FeedNotFoundError, 404),
    (SessionNotFoundError, 404),
    (PublishRefusedError, 403),  # the device is not bound to the feed, or it is on air from another
    (FeedTakenError, 409),  # another device publishes the feed now
    (SessionLimitError, 429),  # the device holds its maximum of sessions: end one first
    (FaceMaskingError, 409),  # masking asked for, not available here: never opened unmasked
    (HlsError, 503),  # the public store failed; retried in the background
)


def status_of(error: StreamingError) -> int:
    """The HTTP status for ``error``: its class's entry in the table, else 500."""
    for error_type, status in _STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return status
    return 500


async def _answer(request: Request, error: Exception) -> Response:
    status = status_of(error) if isinstance(error, StreamingError) else 500
    if status >= 500:
        logger.error("live server error: %s", error, exc_info=error)
    if wants_page(request):
        return error_page(request, status)
    code, detail = error_text(error) if status < 500 or status == 503 else INTERNAL
    reason = str(error) if status < 500 or status == 503 else "internal error in the live server"
    return JSONResponse({"code": code, "detail": detail, "reason": reason}, status_code=status)


async def _answer_http(request: Request, error: StarletteHTTPException) -> Response:
    if wants_page(request):
        return error_page(request, error.status_code)
    code, detail = status_text(error.status_code)
    reason = error.detail if isinstance(error.detail, str) else str(error.detail)
    return JSONResponse(
        {"code": code, "detail": detail, "reason": reason},
        status_code=error.status_code,
        headers=getattr(error, "headers", None),
    )


def install_error_handlers(app: FastAPI) -> None:
    """Answer every StreamingError a route lets through per :func:`status_of`, Starlette's own
    errors, and any unexpected exception (500)."""
    app.add_exception_handler(StreamingError, _answer)
    app.add_exception_handler(StarletteHTTPException, _answer_http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _answer)
