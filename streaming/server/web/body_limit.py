"""A request-body cap on every route, enforced before anything parses a body (a pure ASGI middleware).

A declared ``Content-Length`` over the route's limit is refused at once: 413, and the body is never
read. A body without one (``Transfer-Encoding: chunked``) is counted as it streams and refused the
moment it passes the limit; the app then sees the client as gone (``http.disconnect``) and whatever
it answers is dropped. The 413 carries ``Connection: close``, so the server stops reading the rest
instead of draining it. Memory per request stays at the limit plus the server's read buffer.

Limits come per route class (``BodyLimits``: path prefix → bytes); each app renders its own 413
(``too_large``): JSON for APIs, a page for browsers. Used by the live server and by the portal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TooLarge = Callable[[Scope, int], ASGIApp]
"""The answer to a request whose body passes ``limit`` bytes: an ASGI app (a 413 response)."""

CLOSE_HEADERS = {"Connection": "close", "Cache-Control": "no-store"}
"""Headers every 413 answer should carry (the rest of the body is not read)."""


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """Body limits in bytes: the first rule whose path prefix matches the request's path, else
    ``default``."""

    default: int
    rules: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        for prefix, limit in (("default", self.default), *self.rules):
            if limit < 0:
                raise ValueError(f"body limits must be >= 0 bytes (got {limit} for {prefix!r})")

    def limit_for(self, path: str) -> int:
        """The limit for a request to ``path``."""
        return next((limit for prefix, limit in self.rules if path.startswith(prefix)), self.default)


class BodyLimitMiddleware:
    """Refuses request bodies over their route's limit with ``too_large`` (see the module doc)."""

    def __init__(self, app: ASGIApp, *, limits: BodyLimits, too_large: TooLarge) -> None:
        self._app = app
        self._limits = limits
        self._too_large = too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limit = self._limits.limit_for(scope["path"])
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            await self._too_large(scope, limit)(scope, receive, send)
            return
        await _CountedRequest(self._app, self._too_large, limit).run(scope, receive, send)


class _CountedRequest:
    """One request whose body is counted as the app reads it."""

    def __init__(self, app: ASGIApp, too_large: TooLarge, limit: int) -> None:
        self._app = app
        self._too_large = too_large
        self._limit = limit
        self._received = 0
        self._refused = False
        self._started = False

    async def run(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted_receive() -> Message:
            if self._refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                self._received += len(message.get("body", b""))
                if self._received > self._limit:
                    self._refused = True
                    if not self._started:
                        await self._too_large(scope, self._limit)(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def tracked_send(message: Message) -> None:
            if self._refused:
                return  # the app's answer to the cut-off body: the 413 went out instead
            if message["type"] == "http.response.start":
                self._started = True
            await send(message)

        try:
            await self._app(scope, counted_receive, tracked_send)
        except ClientDisconnect:
            if not self._refused:
                raise  # the client really went away


def declared_length(scope: Scope) -> int | None:
    """The request's ``Content-Length`` (None when absent or not a number: the server's parser has
    refused malformed ones already)."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None
