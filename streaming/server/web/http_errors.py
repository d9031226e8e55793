"""The live server's one mapping from streaming errors to HTTP answers, registered once per app.

Routes raise (or let through) the service's errors; nothing maps them route by route. Each answer
is JSON ``{"detail": message}`` with the message naming what was wrong, except for a browser asking
for a page, which gets the Chinese error page (``error_pages``); the same holds for Starlette's own
errors (unknown address, wrong method) and for an unexpected exception (500, logged).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
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
    detail = str(error) if status < 500 or status == 503 else "internal error in the live server"
    return JSONResponse({"detail": detail}, status_code=status)


async def _answer_http(request: Request, error: StarletteHTTPException) -> Response:
    if wants_page(request):
        return error_page(request, error.status_code)
    return await http_exception_handler(request, error)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every StreamingError a route lets through per :func:`status_of`, Starlette's own
    errors, and any unexpected exception (500)."""
    app.add_exception_handler(StreamingError, _answer)
    app.add_exception_handler(StarletteHTTPException, _answer_http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _answer)
