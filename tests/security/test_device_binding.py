"""Devices are bound to the feeds they may publish (issue 10, item 2): anything else is 403, logged as a
security event and handed to the refusal sink; a feed on public air accepts only the device publishing
it, even another bound device (take-over protection)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiortc import RTCPeerConnection
from pydantic import SecretStr, ValidationError

from streaming.packet_track import PacketTrack
from streaming.server.bindings import PublishRefusal, SettingsBindings
from streaming.server.service import LiveService
from streaming.server.web.app import create_app
from streaming.settings import StreamingSettings
from tests.streaming.conftest import (
    DEVICE_ID,
    DEVICE_TOKEN,
    LOOPBACK,
    LiveServer,
    loopback_settings,
    serve,
)

OTHER_ID, OTHER_TOKEN = "dev-2", "other-device-token-0123456789-abcdef"
SDP = {"Content-Type": "application/sdp"}
ON_AIR = "court-1/cam"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **SDP}


async def _offer() -> tuple[RTCPeerConnection, str]:
    pc = RTCPeerConnection(LOOPBACK.configuration())
    pc.addTransceiver(PacketTrack("video"), direction="sendonly")
    with LOOPBACK.gathering():
        await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


def _settings(tmp_path: Path, **overrides: object) -> StreamingSettings:
    return loopback_settings(
        tmp_path,
        device_tokens={DEVICE_ID: SecretStr(DEVICE_TOKEN), OTHER_ID: SecretStr(OTHER_TOKEN)},
        device_rooms={DEVICE_ID: ["court-1/*"], OTHER_ID: ["court-1/*", "court-2/cam"]},
        **overrides,
    )


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(_settings(tmp_path, public_feeds=[ON_AIR])) as live:
        yield live


def test_settings_bindings_deny_by_default() -> None:
    bindings = SettingsBindings({"a": ["court-1/*"], "b": ["court-2/cam"]})
    assert bindings.may_publish("a", "court-1", "anything")
    assert not bindings.may_publish("a", "court-2", "cam")
    assert bindings.may_publish("b", "court-2", "cam")
    assert not bindings.may_publish("b", "court-2", "wide")  # an exact binding is that stream only
    assert not bindings.may_publish("nobody", "court-1", "cam")  # no binding: nothing


@pytest.mark.parametrize("pattern", ["*/*", "*", "court-1", "court 1/cam", "court-1/ca*"])
def test_a_binding_is_room_slash_stream_or_room_slash_star(pattern: str) -> None:
    with pytest.raises(ValidationError, match="room/stream or room/"):
        StreamingSettings(device_rooms={"a": [pattern]})


@pytest.mark.integration
async def test_a_device_publishes_only_where_it_is_bound(
    server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    pc, offer = await _offer()
    async with httpx.AsyncClient(base_url=server.url) as client:
        with caplog.at_level(logging.WARNING, logger="streaming.server.bindings"):
            refused = await client.post("/whip/court-2/cam", content=offer, headers=_bearer(DEVICE_TOKEN))
        assert refused.status_code == 403
        assert refused.json() == {
            "code": "publish_refused",
            "detail": "该设备无权发布此画面",
            "reason": f"device {DEVICE_ID} is not bound to feed court-2/cam",
        }
        assert any(
            "security: WHIP publish refused" in r.getMessage() and "court-2/cam" in r.getMessage()
            for r in caplog.records
        )
        # refused before the offer is read: not even an SDP body is needed to be told no
        bare = await client.post("/whip/court-2/cam", content="x", headers=_bearer(DEVICE_TOKEN))
        assert bare.status_code == 403
        assert server.service.session_count(DEVICE_ID) == 0

        created = await client.post("/whip/court-1/other", content=offer, headers=_bearer(DEVICE_TOKEN))
        assert created.status_code == 201, created.text
        other_pc, other_offer = await _offer()
        exact = await client.post("/whip/court-2/cam", content=other_offer, headers=_bearer(OTHER_TOKEN))
        assert exact.status_code == 201, exact.text
        wide = await client.post("/whip/court-2/wide", content=other_offer, headers=_bearer(OTHER_TOKEN))
        assert wide.status_code == 403
    await pc.close()
    await other_pc.close()


@pytest.mark.integration
async def test_a_feed_on_public_air_keeps_its_device(server: LiveServer) -> None:
    assert server.service.is_public(ON_AIR)
    pc, offer = await _offer()
    rival_pc, rival_offer = await _offer()
    async with httpx.AsyncClient(base_url=server.url) as client:
        created = await client.post(f"/whip/{ON_AIR}", content=offer, headers=_bearer(DEVICE_TOKEN))
        assert created.status_code == 201, created.text
        # another device bound to the room is refused (403, not 409) while the feed is on air …
        taken = await client.post(f"/whip/{ON_AIR}", content=rival_offer, headers=_bearer(OTHER_TOKEN))
        assert taken.status_code == 403
        assert "on public air from device dev-1" in taken.json()["reason"]
        # … even once its publisher has left: the broadcast keeps its device until it is closed
        ended = await client.delete(created.headers["location"], headers=_bearer(DEVICE_TOKEN))
        assert ended.status_code == 200
        assert server.service.session_count(DEVICE_ID) == 0
        again = await client.post(f"/whip/{ON_AIR}", content=rival_offer, headers=_bearer(OTHER_TOKEN))
        assert again.status_code == 403
        # the device of the broadcast comes back
        back = await client.post(f"/whip/{ON_AIR}", content=offer, headers=_bearer(DEVICE_TOKEN))
        assert back.status_code == 201, back.text
        await client.delete(back.headers["location"], headers=_bearer(DEVICE_TOKEN))
        # the broadcast closed: a bound device may publish the feed again
        await server.service.close_public(ON_AIR)
        freed = await client.post(f"/whip/{ON_AIR}", content=rival_offer, headers=_bearer(OTHER_TOKEN))
        assert freed.status_code == 201, freed.text
    await pc.close()
    await rival_pc.close()


async def test_refusals_reach_the_injected_sink(tmp_path: Path) -> None:
    refusals: list[PublishRefusal] = []

    async def sink(refusal: PublishRefusal) -> None:
        refusals.append(refusal)

    service = LiveService(_settings(tmp_path))
    app = create_app(service, publish_refused=sink)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://live") as client:
        refused = await client.post("/whip/court-9/cam", content="v=0\r\n", headers=_bearer(DEVICE_TOKEN))
    await service.stop()
    assert refused.status_code == 403
    assert refusals == [
        PublishRefusal(
            DEVICE_ID, "court-9/cam", f"device {DEVICE_ID} is not bound to feed court-9/cam", "127.0.0.1"
        )
    ]
