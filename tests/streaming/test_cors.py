"""CORS on WHIP and WHEP, seen on the wire: preflights and answers for allowed, refused and same-origin
callers (raw HTTP/1.1 over a socket, as a browser would send them), and the origin setting's rules."""

from __future__ import annotations

import asyncio
import http.client
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError

from streaming.settings import StreamingSettings

from .conftest import DEVICE_TOKEN, OPERATOR_TOKEN, LiveServer, loopback_settings, serve

ALLOWED = "https://player.court.example"
OTHER = "https://evil.example"
EXPOSED = "Location, Link, ETag"


@pytest.fixture
async def cors_server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(loopback_settings(tmp_path, cors_origins=[ALLOWED, "http://127.0.0.1:9"])) as server:
        yield server


async def _request(
    server: LiveServer, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP/1.1 request; the answer's status, headers (lower-case names) and body."""

    def exchange() -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(server.url)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    return await asyncio.to_thread(exchange)


def _preflight(
    origin: str, method: str = "POST", headers: str = "authorization,content-type"
) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


def _cors_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.startswith("access-control-")}


@pytest.mark.parametrize("path", ["/whip/court-1/cam", "/whep/court-1/cam", "/whep/sessions/abc"])
async def test_a_preflight_from_an_allowed_origin_is_answered(cors_server: LiveServer, path: str) -> None:
    status, headers, body = await _request(
        cors_server, "OPTIONS", path, _preflight(ALLOWED, headers="Authorization, Content-Type, If-Match")
    )
    assert status == 204 and body == b""
    assert _cors_headers(headers) == {
        "access-control-allow-origin": ALLOWED,
        "access-control-allow-methods": "POST, DELETE, PATCH, OPTIONS",
        "access-control-allow-headers": "Authorization, Content-Type, If-Match",
        "access-control-max-age": "600",
    }
    assert headers["vary"] == "Origin"


async def test_a_preflight_from_another_origin_is_refused_without_cors_headers(
    cors_server: LiveServer,
) -> None:
    status, headers, body = await _request(cors_server, "OPTIONS", "/whep/court-1/cam", _preflight(OTHER))
    assert status == 403
    assert _cors_headers(headers) == {}
    detail = body.decode()
    assert OTHER in detail and "COURTREC_STREAMING_CORS_ORIGINS" in detail and ALLOWED in detail


@pytest.mark.parametrize(
    ("method", "headers", "named"),
    [("PUT", "content-type", "method 'PUT'"), ("POST", "content-type,x-court-debug", "x-court-debug")],
)
async def test_a_preflight_for_more_than_is_allowed_is_refused(
    cors_server: LiveServer, method: str, headers: str, named: str
) -> None:
    status, answer, body = await _request(
        cors_server, "OPTIONS", "/whip/court-1/cam", _preflight(ALLOWED, method, headers)
    )
    assert status == 403 and _cors_headers(answer) == {}
    assert named in body.decode()


async def test_by_default_no_other_origin_is_allowed(live_server: LiveServer) -> None:
    for origin in (ALLOWED, "http://127.0.0.1:9"):
        status, headers, body = await _request(
            live_server, "OPTIONS", "/whep/court-1/cam", _preflight(origin)
        )
        assert status == 403 and _cors_headers(headers) == {}
        assert "none, same-origin only" in body.decode()


async def test_answers_to_an_allowed_origin_expose_location_and_never_credentials(
    cors_server: LiveServer,
) -> None:
    sdp = {"Content-Type": "application/sdp", "Origin": ALLOWED}
    cases = [  # errors too: the page must be able to read why it was refused
        ("POST", "/whep/court-1/cam", {**sdp, "Authorization": f"Bearer {OPERATOR_TOKEN}"}, 400),
        ("POST", "/whep/court-1/cam", sdp, 401),
        ("POST", "/whip/court-1/cam", {**sdp, "Authorization": f"Bearer {DEVICE_TOKEN}"}, 400),
        (
            "DELETE",
            "/whep/sessions/nope",
            {"Origin": ALLOWED, "Authorization": f"Bearer {OPERATOR_TOKEN}"},
            404,
        ),
    ]
    for method, path, headers, expected in cases:
        status, answer, _ = await _request(cors_server, method, path, headers, b"not sdp")
        assert status == expected, (method, path)
        assert _cors_headers(answer) == {
            "access-control-allow-origin": ALLOWED,
            "access-control-expose-headers": EXPOSED,
        }
        assert "Origin" in answer["vary"]


async def test_answers_to_other_origins_and_other_paths_carry_no_cors(cors_server: LiveServer) -> None:
    operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    status, answer, _ = await _request(
        cors_server,
        "POST",
        "/whep/court-1/cam",
        {"Origin": OTHER, "Content-Type": "application/sdp", **operator},
    )
    assert status == 400 and _cors_headers(answer) == {}
    status, answer, _ = await _request(cors_server, "GET", "/api/feeds", {"Origin": ALLOWED, **operator})
    assert status == 200 and _cors_headers(answer) == {}  # the wall's API stays same-origin
    status, answer, _ = await _request(cors_server, "OPTIONS", "/api/feeds", _preflight(ALLOWED))
    assert _cors_headers(answer) == {}


async def test_options_without_a_preflight_lists_the_methods(cors_server: LiveServer) -> None:
    status, headers, _ = await _request(cors_server, "OPTIONS", "/whip/court-1/cam", {})
    assert status == 204 and headers["allow"] == "POST, DELETE, PATCH, OPTIONS"
    assert _cors_headers(headers) == {}


@pytest.mark.parametrize(
    ("origin", "problem"),
    [
        ("*", "'*' and 'null' are not accepted"),
        ("https://player.court.example/", "no path"),
        ("https://Player.court.example", "lower-case"),
        ("https://player.court.example:443", "default port 443"),
        ("player.court.example", "http:// or https://"),
        ("http://player.court.example:70000", "port in 1..65535"),
    ],
)
def test_an_origin_not_written_as_a_browser_sends_it_is_refused(origin: str, problem: str) -> None:
    with pytest.raises(ValidationError, match="cors_origins") as raised:
        StreamingSettings(cors_origins=[origin])
    assert problem in str(raised.value)
