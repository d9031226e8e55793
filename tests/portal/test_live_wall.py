"""The command-centre wall as a portal page: the live app mounted at /live behind operator sign-in.

Only signed-in operators (and admins) see the wall, its API and WHEP; parties, other staff and
anonymous callers are refused. Devices still publish (WHIP) with their own bearer tokens.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from aiortc import RTCPeerConnection
from fastapi.testclient import TestClient
from pydantic import SecretStr

from archive.store.object_store import ObjectStore
from portal.clock import FrozenClock
from portal.web.app import create_app
from streaming.ice import IcePolicy
from streaming.packet_track import PacketTrack
from streaming.settings import StreamingSettings
from tests.portal.conftest import Browser, Portal, Template, portal_settings
from tests.portal.world import CASE_A

DEVICE_ID = "bodycam-007"
DEVICE_TOKEN = "bodycam-007-token-0123456789abcdef"
SDP = {"Content-Type": "application/sdp"}
LOOPBACK = IcePolicy.loopback()
OPERATOR_PATHS = ["/live/api/feeds", "/live/api/config", "/live/api/telemetry"]


@pytest.fixture
def live_portal(
    template: Template, recording_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> Iterator[Portal]:
    """A portal with the live server mounted (device tokens from the settings, no operator token)."""
    live = StreamingSettings(
        ice_host_addresses=["127.0.0.1"],
        ice_allowed_networks=["127.0.0.0/8"],
        device_tokens={DEVICE_ID: SecretStr(DEVICE_TOKEN)},
        device_rooms={DEVICE_ID: ["room-a/*"]},
        public_dir=tmp_path / "public-live",
    )
    clock = FrozenClock(session_now)
    app = create_app(
        portal_settings(template.make_url(), tmp_path), store=recording_store, clock=clock, live=live
    )
    made = Portal(app, clock, template.world, app.state.portal.sessions, recording_store, template.backend)
    yield made
    for client in made.clients:
        client.__exit__(None, None, None)
    app.state.portal.engine.dispose()


def _offer() -> str:
    async def make() -> str:
        pc = RTCPeerConnection(LOOPBACK.configuration())
        pc.addTransceiver(PacketTrack("video"), direction="sendonly")
        with LOOPBACK.gathering():
            await pc.setLocalDescription(await pc.createOffer())
        sdp: str = pc.localDescription.sdp
        await pc.close()
        return sdp

    return asyncio.run(make())


def test_operator_sees_the_wall_and_its_api(live_portal: Portal) -> None:
    operator = live_portal.staff("operator-a")
    page = operator.get("/live/wall")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert operator.get("/live/static/wall.js").status_code == 200
    for path in OPERATOR_PATHS:
        assert operator.get(path).status_code == 200, path
    assert operator.get("/live/api/feeds").json() == {"feeds": []}
    home = operator.get("/staff")
    assert home.status_code == 200 and 'href="/live/wall"' in home.text


def test_admin_sees_the_wall(live_portal: Portal) -> None:
    assert live_portal.staff("admin").get("/live/wall").status_code == 200


def test_anonymous_is_sent_to_sign_in(live_portal: Portal) -> None:
    anonymous = live_portal.client()
    page = anonymous.get("/live/wall")
    assert page.status_code == 303
    assert page.headers["location"] == "/login"
    for path in OPERATOR_PATHS:
        response = anonymous.get(path)
        assert response.status_code == 401, path
        assert response.headers["content-type"].startswith("application/json")
    whep = anonymous.post("/live/whep/room-a/cam", content="v=0\r\n", headers=SDP)
    assert whep.status_code == 401
    # the live app's own token sign-in is not available through the portal
    assert anonymous.post("/live/wall/login", data={"token": "x" * 24}).status_code == 303


@pytest.mark.parametrize("who", ["party", "clerk-a", "judge-a"])
def test_parties_and_other_staff_are_refused(live_portal: Portal, who: str) -> None:
    browser: Browser = (
        live_portal.party(CASE_A, live_portal.world.password_a) if who == "party" else live_portal.staff(who)
    )
    assert browser.get("/live/wall").status_code == 403
    for path in OPERATOR_PATHS:
        response = browser.get(path)
        assert response.status_code == 403, path
        assert response.headers["content-type"].startswith("application/json")
    assert browser.http.post("/live/whep/room-a/cam", content="v=0\r\n", headers=SDP).status_code == 403
    home = live_portal.staff("clerk-a").get("/staff")
    assert home.status_code == 200 and "/live/wall" not in home.text


def test_device_whip_keeps_its_own_token_auth(live_portal: Portal) -> None:
    client = live_portal.client()
    offer = _offer()
    assert client.post("/live/whip/room-a/cam", content=offer, headers=SDP).status_code == 401
    wrong = {"Authorization": "Bearer not-a-device-token", **SDP}
    assert client.post("/live/whip/room-a/cam", content=offer, headers=wrong).status_code == 401
    # an operator's portal session is no device token either
    operator = live_portal.staff("operator-a")
    assert operator.http.post("/live/whip/room-a/cam", content=offer, headers=SDP).status_code == 401
    right = {"Authorization": f"Bearer {DEVICE_TOKEN}", **SDP}
    created = client.post("/live/whip/room-a/cam", content=offer, headers=right)
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    assert location.startswith("https://testserver/live/whip/sessions/")
    feeds = operator.get("/live/api/feeds").json()["feeds"]
    assert [feed["id"] for feed in feeds] == ["room-a/cam"]
    ended = client.delete(location, headers={"Authorization": f"Bearer {DEVICE_TOKEN}"})
    assert ended.status_code == 200


def test_live_is_off_by_default(portal: Portal) -> None:
    operator = portal.staff("operator-a")
    assert operator.get("/live/wall").status_code == 404
    assert "/live/wall" not in operator.get("/staff").text


def test_the_live_service_closes_with_the_portal(
    sqlite_template: Template, tmp_path: Path, recording_store: ObjectStore
) -> None:
    live = StreamingSettings(public_dir=tmp_path / "public-live")
    app = create_app(portal_settings(sqlite_template.make_url(), tmp_path), store=recording_store, live=live)
    closed: list[bool] = []
    service = app.state.live_service
    original = service.stop

    async def stop() -> None:
        closed.append(True)
        await original()

    service.stop = stop
    with TestClient(app, base_url="https://testserver"):
        pass
    assert closed == [True]
    app.state.portal.engine.dispose()
