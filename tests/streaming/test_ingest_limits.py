"""WHIP sessions that never connect or go silent are closed and free their feed; a device's session
cap; a feed is connected only once media flows. Real aiortc peers on loopback, short timeouts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from pydantic import SecretStr

from streaming.packet_track import PacketTrack
from streaming.publisher.live_input import LiveInput
from streaming.publisher.live_publisher import LivePublisher
from streaming.publisher.whip_client import WhipClient
from streaming.settings import StreamingSettings

from .conftest import (
    DEVICE_ID,
    DEVICE_TOKEN,
    LOOPBACK,
    OPERATOR_TOKEN,
    EncodedTestFeed,
    LiveServer,
    loopback_settings,
    serve,
)

pytestmark = pytest.mark.integration

OTHER_ID = "dev-2"
OTHER_TOKEN = "other-device-token-0123456789-abcdef"
CONNECT_SECONDS = 1.0
IDLE_SECONDS = 1.5


def _settings(tmp_path: Path, connect_seconds: float, lost_seconds: float) -> StreamingSettings:
    return loopback_settings(
        tmp_path,
        device_tokens={DEVICE_ID: SecretStr(DEVICE_TOKEN), OTHER_ID: SecretStr(OTHER_TOKEN)},
        ingest_connect_seconds=connect_seconds,
        lost_feed_seconds=lost_seconds,
        max_sessions_per_device=2,
    )


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    """Short timeouts: the tests of them wait them out."""
    async with serve(_settings(tmp_path, CONNECT_SECONDS, IDLE_SECONDS)) as live:
        yield live


@pytest.fixture
async def patient_server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    """Timeouts far longer than the test: its silent sessions stay open however busy the machine is
    (at 1 s, a loaded machine closed the first before the third was offered)."""
    async with serve(_settings(tmp_path, 60.0, 60.0)) as live:
        yield live


async def _offer() -> RTCPeerConnection:
    pc = RTCPeerConnection(LOOPBACK.configuration())
    pc.addTransceiver(PacketTrack("video"), direction="sendonly")  # never offered a packet: silent
    with LOOPBACK.gathering():
        await pc.setLocalDescription(await pc.createOffer())
    return pc


async def _publish(client: httpx.AsyncClient, pc: RTCPeerConnection, path: str, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/sdp"}
    return await client.post(path, content=pc.localDescription.sdp, headers=headers)


async def _eventually(condition: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for: {what}"
        await asyncio.sleep(0.05)


async def _feed(client: httpx.AsyncClient, feed_id: str) -> dict[str, object] | None:
    response = await client.get("/api/feeds", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
    assert response.status_code == 200
    return next((f for f in response.json()["feeds"] if f["id"] == feed_id), None)


async def test_a_publisher_that_never_completes_ice_is_closed_and_frees_its_feed(
    server: LiveServer,
) -> None:
    abandoned = await _offer()
    async with httpx.AsyncClient(base_url=server.url) as client:
        created = await _publish(client, abandoned, "/whip/court-1/cam", DEVICE_TOKEN)
        assert created.status_code == 201, created.text
        await abandoned.close()  # the answer is never applied: no ICE checks are ever answered
        started = time.monotonic()
        assert server.service.session_count(DEVICE_ID) == 1
        status = await _feed(client, "court-1/cam")
        assert status is not None and status["connected"] is False  # listed while it connects
        rival = await _offer()
        taken = await _publish(client, rival, "/whip/court-1/cam", OTHER_TOKEN)
        assert taken.status_code == 409  # the name is held while the session may still connect

        await _eventually(lambda: server.service.session_count(DEVICE_ID) == 0, "the session closed")
        assert time.monotonic() - started >= CONNECT_SECONDS * 0.8
        freed = await _publish(client, rival, "/whip/court-1/cam", OTHER_TOKEN)
        assert freed.status_code == 201, freed.text  # another device may publish the feed now
        await rival.close()


async def test_a_connected_publisher_is_not_connected_until_media_flows_and_closed_when_silent(
    server: LiveServer, test_feed: EncodedTestFeed
) -> None:
    silent = await _offer()
    async with httpx.AsyncClient(base_url=server.url) as client:
        created = await _publish(client, silent, "/whip/court-1/cam", DEVICE_TOKEN)
        assert created.status_code == 201, created.text
        await silent.setRemoteDescription(RTCSessionDescription(LOOPBACK.filter_sdp(created.text), "answer"))
        await _eventually(lambda: silent.connectionState == "connected", "ICE and DTLS up")
        status = await _feed(client, "court-1/cam")
        assert status is not None and status["connected"] is False  # connected peers, no media yet

        closed = lambda: server.service.session_count(DEVICE_ID) == 0  # noqa: E731
        await _eventually(closed, "the silent session closed", IDLE_SECONDS + 10)
        await silent.close()

        video = test_feed.tap.subscribe(60)
        publisher = LivePublisher(
            "cam",
            WhipClient(f"{server.url}/whip/court-1/cam", DEVICE_TOKEN),
            LOOPBACK,
            LiveInput(video=video, audio=None, request_keyframe=test_feed.request_keyframe),
        )
        publisher.start()
        try:
            deadline = time.monotonic() + 15
            while True:
                status = await _feed(client, "court-1/cam")
                if status is not None and status["connected"] is True:
                    break
                assert time.monotonic() < deadline, f"never connected: {status}"
                await asyncio.sleep(0.05)
            assert status["seconds_since_frame"] is not None  # connected because media arrived
        finally:
            await asyncio.to_thread(publisher.stop)


async def test_a_device_holds_at_most_its_cap_of_sessions(patient_server: LiveServer) -> None:
    server = patient_server
    peers = [await _offer() for _ in range(4)]
    async with httpx.AsyncClient(base_url=server.url) as client:
        for index, pc in enumerate(peers[:2]):
            created = await _publish(client, pc, f"/whip/court-1/cam-{index}", DEVICE_TOKEN)
            assert created.status_code == 201, created.text
        refused = await _publish(client, peers[2], "/whip/court-1/cam-2", DEVICE_TOKEN)
        assert refused.status_code == 429
        assert "at most 2" in refused.json()["reason"]
        # republishing a feed it holds replaces that session (a reconnect), it is not one more
        again = await _publish(client, peers[3], "/whip/court-1/cam-0", DEVICE_TOKEN)
        assert again.status_code == 201, again.text
        assert server.service.session_count(DEVICE_ID) == 2
        other = await _publish(client, peers[2], "/whip/court-1/cam-2", OTHER_TOKEN)
        assert other.status_code == 201, other.text  # the cap is per device
    for pc in peers:
        await pc.close()
