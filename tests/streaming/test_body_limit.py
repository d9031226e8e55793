"""The live server refuses oversized bodies (413) before reading them: by Content-Length up front,
counted for chunked bodies; the middleware's rules per route class."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from streaming.server.web.body_limit import BodyLimits

from .conftest import DEVICE_TOKEN, LiveServer, loopback_settings, serve
from .raw_http import post_oversized

pytestmark = pytest.mark.integration

SDP_LIMIT = 8 * 1024
BODY_LIMIT = 4 * 1024


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    settings = loopback_settings(tmp_path, max_sdp_bytes=SDP_LIMIT, max_body_bytes=BODY_LIMIT)
    async with serve(settings) as live:
        yield live


def test_the_first_matching_prefix_decides_the_limit() -> None:
    limits = BodyLimits(10, (("/whip/", 20), ("/whep/", 30)))
    assert limits.limit_for("/whip/a/b") == 20
    assert limits.limit_for("/whep/a/b") == 30
    assert limits.limit_for("/api/feeds") == 10
    with pytest.raises(ValueError, match="must be >= 0"):
        BodyLimits(-1)


async def test_an_oversized_offer_is_refused_before_its_body_is_sent(server: LiveServer) -> None:
    headers = {"Authorization": f"Bearer {DEVICE_TOKEN}", "Content-Type": "application/sdp"}
    answer = await asyncio.to_thread(
        post_oversized,
        server.url,
        "/whip/court-1/cam",
        200 * 1024 * 1024,
        chunked=False,
        send_body=False,
        headers=headers,
    )
    assert answer.status == 413 and answer.sent == 0
    assert answer.headers["connection"] == "close"
    assert json.loads(answer.body) == {"detail": f"请求内容过大：超过 {SDP_LIMIT} 字节的上限"}


async def test_an_oversized_chunked_body_is_refused_while_it_streams(server: LiveServer) -> None:
    headers = {"Authorization": f"Bearer {DEVICE_TOKEN}", "Content-Type": "application/sdp"}
    answer = await asyncio.to_thread(
        post_oversized, server.url, "/whip/court-1/cam", 50 * 1024 * 1024, chunked=True, headers=headers
    )
    assert answer.status == 413, answer
    assert answer.sent < 50 * 1024 * 1024
    other = await asyncio.to_thread(post_oversized, server.url, "/wall/login", 1024 * 1024, chunked=True)
    assert other.status == 413  # forms: the default limit
    assert json.loads(other.body)["detail"] == f"请求内容过大：超过 {BODY_LIMIT} 字节的上限"
