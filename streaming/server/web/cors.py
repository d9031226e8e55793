"""CORS for WHIP and WHEP (a pure ASGI middleware): browser publishers and players on other origins.

Only the WHIP and WHEP paths (``/whip/…``, ``/whep/…``) take part; everything else (the wall, its
API, public HLS) stays same-origin. Origins are allowed one by one (COURTREC_STREAMING_CORS_ORIGINS);
none by default. ``Access-Control-Allow-Credentials`` is never sent: a cross-origin caller cannot
ride on a sign-in cookie and sends its bearer token in ``Authorization`` instead.

* A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) from an allowed
  origin is answered 204 with the allowed methods and headers (``Authorization``, ``Content-Type``,
  ``If-Match``); one from any other origin, or asking for a method or header outside those, is
  refused with 403 and a JSON ``detail`` saying why, without any CORS header (the browser then
  never sends the request).
* A request from an allowed origin gets ``Access-Control-Allow-Origin`` (that origin) and
  ``Access-Control-Expose-Headers: Location, Link, ETag`` on whatever it is answered, errors too;
  one from another origin gets no CORS header, so a browser will not let the page read it.
* ``OPTIONS`` without a preflight is answered 204 with ``Allow``.

Mounted in the portal, WHEP sits behind the portal's operator session (a cookie), which no
cross-origin caller can send; there cross-origin WHEP needs the standalone server's bearer token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

CORS_PREFIXES = ("/whip/", "/whep/")
ALLOWED_METHODS = ("POST", "DELETE", "PATCH", "OPTIONS")
ALLOWED_HEADERS = ("Authorization", "Content-Type", "If-Match")
EXPOSED_HEADERS = ("Location", "Link", "ETag")
MAX_AGE_SECONDS = 600
ORIGINS_SETTING = "COURTREC_STREAMING_CORS_ORIGINS"


class CorsMiddleware:
    """CORS on the WHIP and WHEP paths for ``allowed_origins`` (see the module doc)."""

    def __init__(self, app: ASGIApp, *, allowed_origins: Iterable[str]) -> None:
        self._app = app
        self._allowed = frozenset(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not route_path(scope).startswith(CORS_PREFIXES):
            await self._app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if scope["method"] == "OPTIONS":
            await self._options(scope, headers, origin, send)
            return
        if origin is None or origin not in self._allowed:
            await self._app(scope, receive, send)  # same-origin, not a browser, or refused by the browser
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer = MutableHeaders(scope=message)
                answer["Access-Control-Allow-Origin"] = origin
                answer["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
                answer.add_vary_header("Origin")
            await send(message)

        await self._app(scope, receive, send_with_cors)

    async def _options(self, scope: Scope, headers: Headers, origin: str | None, send: Send) -> None:
        requested = headers.get("access-control-request-method")
        if origin is None or requested is None:
            await _answer(send, 204, {"Allow": ", ".join(ALLOWED_METHODS)})
            return
        refusal = self._preflight_refusal(origin, requested, headers.get("access-control-request-headers"))
        if refusal is not None:
            logger.info("refused a CORS preflight for %s from %s: %s", route_path(scope), origin, refusal)
            await _answer(send, 403, {"Vary": "Origin"}, {"detail": refusal})
            return
        await _answer(
            send,
            204,
            {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ", ".join(ALLOWED_METHODS),
                "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
                "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
                "Vary": "Origin",
            },
        )

    def _preflight_refusal(self, origin: str, method: str, requested_headers: str | None) -> str | None:
        """Why a preflight is refused, or None when it is allowed."""
        if origin not in self._allowed:
            return (
                f"origin {origin!r} may not call WHIP/WHEP from a browser; allowed origins are set by "
                f"{ORIGINS_SETTING} (now: {', '.join(sorted(self._allowed)) or 'none, same-origin only'})"
            )
        if method.upper() not in ALLOWED_METHODS:
            return f"method {method!r} is not allowed; allowed: {', '.join(ALLOWED_METHODS)}"
        allowed = {name.lower() for name in ALLOWED_HEADERS}
        asked = [name.strip() for name in (requested_headers or "").split(",") if name.strip()]
        extra = [name for name in asked if name.lower() not in allowed]
        if extra:
            return f"header(s) {', '.join(extra)} not allowed; allowed: {', '.join(ALLOWED_HEADERS)}"
        return None


def route_path(scope: Scope) -> str:
    """The request's path inside this app (without the ``root_path`` of a host app that mounts it)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _answer(send: Send, status: int, headers: dict[str, str], body: object = None) -> None:
    content = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    fields = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
    if body is not None:
        fields += [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": fields})
    await send({"type": "http.response.body", "body": content})
