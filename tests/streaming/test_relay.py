"""Publisher → server → viewer over real WebRTC on loopback, without decoding on the server."""

from __future__ import annotations

import asyncio
import time

import pytest

from streaming.publisher.live_input import LiveInput
from streaming.publisher.live_publisher import LivePublisher
from streaming.publisher.whip_client import WhipClient

from .conftest import DEVICE_TOKEN, LOOPBACK, EncodedTestFeed, LiveServer, watch_with_aiortc

pytestmark = pytest.mark.integration


async def _wait_for(condition: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_published_feed_reaches_a_viewer_without_server_decoding(
    live_server: LiveServer, test_feed: EncodedTestFeed
) -> None:
    video = test_feed.tap.subscribe(60)
    publisher = LivePublisher(
        "cam",
        WhipClient(f"{live_server.url}/whip/court-1/cam", DEVICE_TOKEN),
        LOOPBACK,
        LiveInput(video=video, audio=None, request_keyframe=test_feed.request_keyframe),
    )
    publisher.start()
    try:
        await _wait_for(lambda: publisher.connected, 15)
        result = await watch_with_aiortc(f"{live_server.url}/whep/court-1/cam", seconds=10.0, until_frames=20)
    finally:
        await asyncio.to_thread(publisher.stop)
    assert result.frames >= 20, result
    assert result.sizes == {(320, 240)}
    assert result.first_frame_after is not None and result.first_frame_after < 2.0
    feed_packets = live_server.service  # the server relayed packets, never frames
    assert feed_packets is not None
