"""The command-centre wall as a portal page: the live app mounted at /live behind operator sign-in.

Only signed-in operators (and admins) see the wall, its API and WHEP; parties, other staff and
anonymous callers are refused. Devices still publish (WHIP) with their own bearer tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiortc import RTCPeerConnection
from alembic import command
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import inspect, select

from archive.store.object_store import ObjectStore
from portal.audit.trail import AuditAction
from portal.clock import FrozenClock
from portal.db import make_engine, transaction
from portal.hearings.notices import HearingDraft, schedule_hearing
from portal.identity.accounts import create_user
from portal.migrate import alembic_config, upgrade
from portal.models import AuditRecord, Courtroom, OperatorCourt, Role, User
from portal.web.app import create_app
from portal.web.live.live_scope import feed_scope_of
from streaming.ice import IcePolicy
from streaming.packet_track import PacketTrack
from streaming.settings import StreamingSettings
from streaming.telemetry import TelemetryReport
from tests.portal.conftest import Browser, Portal, Template, portal_settings
from tests.portal.world import CASE_A, STAFF_PASSWORD, actor_of

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
        device_rooms={DEVICE_ID: ["room-a/*", "room-b/*"]},
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


def _offer(direction: str = "sendonly") -> str:
    async def make() -> str:
        pc = RTCPeerConnection(LOOPBACK.configuration())
        if direction == "sendonly":
            pc.addTransceiver(PacketTrack("video"), direction="sendonly")
        else:
            pc.addTransceiver("video", direction="recvonly")
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


# -- each operator sees the feeds of its own courts (issue 10, item 9) ---------------------------------

DEVICE = {"Authorization": f"Bearer {DEVICE_TOKEN}", **SDP}


def _operator(portal: Portal, name: str, court_id: int | None, granted: tuple[int, ...] = ()) -> Browser:
    """A new operator of ``court_id`` granted ``granted`` courts besides, signed in."""
    with transaction(portal.db_factory) as db:
        user = create_user(
            db,
            username=name,
            display_name=name,
            role=Role.OPERATOR,
            password=STAFF_PASSWORD,
            now=portal.clock.now(),
            actor="test",
            court_id=court_id,
        )
        db.add_all(OperatorCourt(user_id=user.id, court_id=court) for court in granted)
    return portal.staff(name)


@contextlib.contextmanager
def _both_courts_live(device: TestClient) -> Iterator[None]:
    """``device`` publishes room-a/cam (court A) and room-b/cam (court B) while the block runs.

    (Each TestClient runs the app on its own event loop, and the first one's lifespan stops the live
    service: ``device`` must be the test's first client, and each WebRTC session is ended from the
    client that made it.)"""
    locations = []
    for feed in ("room-a/cam", "room-b/cam"):
        created = device.post(f"/live/whip/{feed}", content=_offer(), headers=DEVICE)
        assert created.status_code == 201, created.text
        locations.append(created.headers["location"])
    try:
        yield
    finally:
        for location in locations:
            device.delete(location, headers={"Authorization": f"Bearer {DEVICE_TOKEN}"})


def _feed_ids(browser: Browser) -> list[str]:
    response = browser.get("/live/api/feeds")
    assert response.status_code == 200
    return [feed["id"] for feed in response.json()["feeds"]]


def _watch(browser: Browser, feed: str) -> int:
    """The status of a WHEP request for ``feed`` (a session it opens is ended at once)."""
    response = browser.http.post(f"/live/whep/{feed}", content=_offer("recvonly"), headers=SDP)
    if response.status_code == 201:
        assert browser.http.delete(response.headers["location"]).status_code == 200
    return response.status_code


def test_an_operator_sees_only_its_courts_feeds(live_portal: Portal) -> None:
    device = live_portal.client()
    operator_a = live_portal.staff("operator-a")
    operator_b = _operator(live_portal, "operator-b", live_portal.world.court_b)
    nowhere = _operator(live_portal, "operator-none", None)
    with _both_courts_live(device):
        _see_own_court_only(operator_a, operator_b, nowhere)


def _see_own_court_only(operator_a: Browser, operator_b: Browser, nowhere: Browser) -> None:
    assert _feed_ids(operator_a) == ["room-a/cam"]
    assert operator_a.get("/live/api/telemetry").json() == {}
    assert _watch(operator_a, "room-b/cam") == 404  # as if it did not exist
    assert _watch(operator_a, "room-a/cam") == 201
    assert _feed_ids(operator_b) == ["room-b/cam"]
    assert _watch(operator_b, "room-a/cam") == 404
    assert _feed_ids(nowhere) == []
    assert _watch(nowhere, "room-a/cam") == 404


def test_an_operator_cannot_end_another_courts_viewing_session(live_portal: Portal) -> None:
    device = live_portal.client()
    operator_a = live_portal.staff("operator-a")
    operator_b = _operator(live_portal, "operator-b", live_portal.world.court_b)
    with _both_courts_live(device):
        watching = operator_b.http.post("/live/whep/room-b/cam", content=_offer("recvonly"), headers=SDP)
        assert watching.status_code == 201
        session = watching.headers["location"]
        assert operator_a.http.delete(session).status_code == 404  # as if it did not exist
        assert operator_b.http.delete(session).status_code == 200  # still open: its owner ends it


def test_a_provincial_operator_granted_both_courts_and_an_admin_see_both(live_portal: Portal) -> None:
    device = live_portal.client()
    world = live_portal.world
    provincial = _operator(live_portal, "operator-province", world.court_a, granted=(world.court_b,))
    admin = live_portal.staff("admin")
    with _both_courts_live(device):
        for browser in (provincial, admin):
            assert _feed_ids(browser) == ["room-a/cam", "room-b/cam"]
            assert _watch(browser, "room-b/cam") == 201


def test_a_room_code_two_courts_share_is_seen_only_with_both(live_portal: Portal) -> None:
    world = live_portal.world
    with transaction(live_portal.db_factory) as db:
        db.add(Courtroom(court_id=world.court_b, code="room-a", name="B 的 room-a"))
    with live_portal.db_factory() as db:
        user = db.scalar(select(User).where(User.username == "operator-a"))
        assert user is not None
        operator_a = actor_of(user)
        assert feed_scope_of(db, operator_a).rooms == frozenset()  # court B also has a room-a
        db.add(OperatorCourt(user_id=user.id, court_id=world.court_b))
        db.flush()
        assert feed_scope_of(db, operator_a).rooms == frozenset({"room-a", "room-b"})
        db.rollback()


def test_a_refused_publication_is_audited(live_portal: Portal) -> None:
    device = live_portal.client()
    refused = device.post("/live/whip/room-c/cam", content=_offer(), headers=DEVICE)
    assert refused.status_code == 403
    with live_portal.db_factory() as db:
        record = db.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
    assert record is not None
    assert (record.actor, record.action, record.target, record.outcome) == (
        f"device:{DEVICE_ID}",
        AuditAction.ACCESS_DENIED,
        "POST /live/whip/room-c/cam",
        "403",
    )
    assert "not bound to feed room-c/cam" in record.detail


def test_the_operator_courts_migration_goes_down_and_up(template: Template) -> None:
    engine = make_engine(template.make_url())
    try:
        assert "operator_courts" in inspect(engine).get_table_names()
        config = alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0003")
        assert "operator_courts" not in inspect(engine).get_table_names()
        upgrade(engine)
        assert "operator_courts" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_the_wall_names_courtrooms_and_links_back_to_the_portal(live_portal: Portal) -> None:
    device = live_portal.client()
    operator = live_portal.staff("operator-a")
    with _both_courts_live(device):
        feeds = operator.get("/live/api/feeds").json()["feeds"]
        assert [(f["court"], f["place"]) for f in feeds] == [("北京市第一法院", "第一法庭")]
    config = operator.get("/live/api/config").json()
    token = config["links"]["signOutToken"]
    assert config["links"]["portal"] == "/staff" and config["links"]["signOut"] == "/logout" and token
    signed_out = operator.http.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert signed_out.status_code == 303
    assert operator.get("/live/api/feeds").status_code == 401  # the wall's sign-out ends the session


def test_the_wall_shows_the_official_case_number_and_the_camera_by_name(live_portal: Portal) -> None:
    device = live_portal.client()
    operator = live_portal.staff("operator-a")
    now = live_portal.clock.now()
    report = TelemetryReport(device_id=DEVICE_ID, room="room-a", case="case-a", at=now)
    with _both_courts_live(device):
        live_portal.app.state.live_service.telemetry.update("room-a/cam", report)
        [feed] = operator.get("/live/api/feeds").json()["feeds"]
        assert feed["stream_label"] == "摄像机"
        # the only hearing of case-a is days away: whose case the device code means is not claimed
        assert feed["case_number"] is None and feed["telemetry"]["case"] == "case-a"
        with transaction(live_portal.db_factory) as db:
            clerk = actor_of(db.scalars(select(User).where(User.username == "clerk-a")).one())
            soon = now + timedelta(hours=2)
            world = live_portal.world
            draft = HearingDraft(world.case_a, world.room_a, soon, soon + timedelta(hours=1), True)
            schedule_hearing(db, clerk, draft, now=now)
        [feed] = operator.get("/live/api/feeds").json()["feeds"]
        assert feed["case_number"] == CASE_A  # heard there today: the number people read
