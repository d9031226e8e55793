"""WHIP/WHEP over HTTP (RFC 9725): status codes, tokens, and who may publish what."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiortc import RTCPeerConnection
from pydantic import SecretStr

from streaming.packet_track import PacketTrack

from .conftest import DEVICE_ID, DEVICE_TOKEN, LOOPBACK, OPERATOR_TOKEN, LiveServer, loopback_settings, serve

pytestmark = pytest.mark.integration  # a real uvicorn server on loopback

OTHER_TOKEN = "other-device-token-0123456789-abcdef"
SDP = {"Content-Type": "application/sdp"}


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    tokens = {DEVICE_ID: SecretStr(DEVICE_TOKEN), "dev-2": SecretStr(OTHER_TOKEN)}
    async with serve(loopback_settings(tmp_path, device_tokens=tokens)) as live:
        yield live


async def _offer() -> tuple[RTCPeerConnection, str]:
    pc = RTCPeerConnection(LOOPBACK.configuration())
    pc.addTransceiver(PacketTrack("video"), direction="sendonly")
    with LOOPBACK.gathering():
        await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **SDP}


async def test_whip_refusals_and_session_lifecycle(server: LiveServer) -> None:
    pc, offer = await _offer()
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.post("/whip/court-1/cam", content=offer, headers=SDP)).status_code == 401
        assert (
            await client.post("/whip/court-1/cam", content=offer, headers=_bearer("nope"))
        ).status_code == 401
        wrong_type = {"Authorization": f"Bearer {DEVICE_TOKEN}", "Content-Type": "text/plain"}
        assert (await client.post("/whip/court-1/cam", content=offer, headers=wrong_type)).status_code == 415
        not_sdp = await client.post("/whip/court-1/cam", content="hello", headers=_bearer(DEVICE_TOKEN))
        assert not_sdp.status_code == 400
        bad_name = await client.post("/whip/court 1/cam", content=offer, headers=_bearer(DEVICE_TOKEN))
        assert bad_name.status_code == 400

        created = await client.post("/whip/court-1/cam", content=offer, headers=_bearer(DEVICE_TOKEN))
        assert created.status_code == 201, created.text
        assert created.headers["content-type"].startswith("application/sdp")
        assert created.text.startswith("v=0") and "H264" in created.text
        location = created.headers["location"]
        assert location.startswith(f"{server.url}/whip/sessions/")

        other_pc, other_offer = await _offer()
        taken = await client.post("/whip/court-1/cam", content=other_offer, headers=_bearer(OTHER_TOKEN))
        assert taken.status_code == 409  # another device cannot take over a live feed
        assert (await client.patch(location, headers=_bearer(DEVICE_TOKEN))).status_code == 405
        assert (await client.delete(location, headers=_bearer(OTHER_TOKEN))).status_code == 404
        assert (await client.delete(location, headers=_bearer(DEVICE_TOKEN))).status_code == 200
        assert (await client.delete(location, headers=_bearer(DEVICE_TOKEN))).status_code == 404

        viewer = await client.post(
            "/whep/court-1/nothing-here",
            content=offer,
            headers={**SDP, "Authorization": f"Bearer {OPERATOR_TOKEN}"},
        )
        assert viewer.status_code == 404
    await pc.close()
    await other_pc.close()
