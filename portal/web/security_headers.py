"""Security headers on every response (a pure ASGI middleware: no per-request task overhead).

CSP allows only our own scripts and styles, media from blob: (hls.js feeds Media Source) and
connections to ourselves and to the media origins: the object store (segment GETs follow our
redirects there) and the public live origin (a CDN or bucket); Safari's native HLS loads those as
media, so they are media sources too;
``frame-ancestors 'none'`` forbids framing. Responses that set no Cache-Control get ``no-store``,
so personal pages and recording pages are never cached; public pages opt in to caching.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(media_origins: Iterable[str]) -> str:
    """The CSP header value; ``media_origins`` are the other origins playlists and segments come from."""
    origins = sorted(set(media_origins))
    connect = " ".join(["'self'", *origins])
    media = " ".join(["'self'", "blob:", *origins])
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"media-src {media}",
            f"connect-src {connect}",
            "worker-src 'self' blob:",
            "font-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class SecurityHeadersMiddleware:
    """Adds the security headers (and default ``Cache-Control: no-store``) to HTTP responses."""

    def __init__(self, app: ASGIApp, *, csp: str, hsts: bool) -> None:
        self._app = app
        headers = [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if hsts:
            headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        self._headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers.extend(h for h in self._headers if h[0] not in names)
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self._app(scope, receive, send_with_headers)
