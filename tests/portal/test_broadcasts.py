"""Public live broadcasts through the portal, with the real live service mounted at /live: the clerk's
cut and resume (JSON and forms), who may use them, the public page, and that nothing of a non-public
hearing is reachable at any public URL.

The portal runs under uvicorn on loopback (one event loop for the app and the live service); the
clock is frozen and the scheduler's pass is run by the test after moving it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from archive.store.object_store import ObjectStore
from portal.broadcasting.scheduler import BroadcastScheduler
from portal.clock import FrozenClock
from portal.db import make_sessionmaker, transaction
from portal.hearings.notices import HearingDraft, publish_notice, schedule_hearing
from portal.models import AuditRecord, User
from portal.web.app import create_app
from streaming.settings import StreamingSettings
from tests.portal.conftest import AGENT_TOKEN, Template, portal_settings
from tests.portal.served import ServedApp, Visitor
from tests.portal.world import CASE_A, STAFF_PASSWORD, World, actor_of

FEED = "room-a/bench-cam"
HLS = f"/live/public/hls/{FEED}"
REPO = Path(__file__).resolve().parents[2]


class LivePortal:
    """A served portal with the live service mounted, its frozen clock and its world."""

    def __init__(self, app: FastAPI, served: ServedApp, clock: FrozenClock, world: World) -> None:
        self.app = app
        self.served = served
        self.clock = clock
        self.world = world
        self.sessions = make_sessionmaker(app.state.portal.engine)
        self.visitors: list[Visitor] = []

    @property
    def scheduler(self) -> BroadcastScheduler:
        scheduler: BroadcastScheduler = self.app.state.broadcasts
        return scheduler

    def reconcile(self) -> None:
        self.served.call(self.scheduler.reconcile)

    def visitor(self) -> Visitor:
        visitor = Visitor(self.served.url)
        self.visitors.append(visitor)
        return visitor

    def staff(self, username: str) -> Visitor:
        return self.visitor().sign_in("staff", username, STAFF_PASSWORD)

    def party(self) -> Visitor:
        return self.visitor().sign_in("party", CASE_A, self.world.password_a)

    def hearing(self, *, public: bool, starts_in: timedelta = timedelta(hours=1)) -> tuple[int, int]:
        """A hearing of case A in room A with its notice published now: (hearing id, notice id)."""
        now = self.clock.now()
        with transaction(self.sessions) as db:
            clerk = actor_of(db.get_one(User, self.world.users["clerk-a"]))
            draft = HearingDraft(
                self.world.case_a,
                self.world.room_a,
                now + starts_in,
                now + starts_in + timedelta(hours=2),
                is_public=public,
                non_public_reason=None if public else "涉及个人隐私，依法不公开审理",
            )
            hearing = schedule_hearing(db, clerk, draft, now=now)
            notice = publish_notice(db, clerk, hearing.id, now=now, exception_basis="依法当日开庭（测试）")
            return hearing.id, notice.id

    def audit(self, target: str) -> list[tuple[str, str]]:
        with self.sessions() as db:
            rows = db.execute(
                select(AuditRecord.action, AuditRecord.actor)
                .where(AuditRecord.target == target, AuditRecord.action.like("broadcast_%"))
                .order_by(AuditRecord.seq)
            )
            return [(action, actor) for action, actor in rows]


@pytest.fixture
def live_portal(
    template: Template, recording_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> Iterator[LivePortal]:
    """The portal over plain HTTP on loopback (development cookies), live service mounted."""
    settings = portal_settings(template.make_url(), tmp_path).model_copy(
        update={
            "environment": "development",
            "portal_cookie_secure": False,
            "portal_broadcast_check_seconds": 60.0,  # the test runs the passes
        }
    )
    live = StreamingSettings(
        ice_host_addresses=["127.0.0.1"],
        ice_allowed_networks=["127.0.0.0/8"],
        device_tokens={"dev-1": SecretStr("device-token-0123456789-abcdefghij")},
        device_rooms={"dev-1": ["room-a/*"]},
        public_dir=tmp_path / "public-live",
        node_modules=REPO / "node_modules",
    )
    clock = FrozenClock(session_now)
    app = create_app(settings, store=recording_store, clock=clock, live=live)
    with ServedApp(app) as served:
        made = LivePortal(app, served, clock, template.world)
        yield made
        for visitor in made.visitors:
            visitor.close()
    app.state.portal.engine.dispose()


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _on_air(live_portal: LivePortal, *, public: bool = True) -> tuple[int, int]:
    hearing, notice = live_portal.hearing(public=public)
    live_portal.clock.advance(timedelta(hours=1))
    live_portal.reconcile()
    return hearing, notice


def test_a_clerk_cuts_and_resumes_the_public_broadcast(live_portal: LivePortal) -> None:
    hearing, notice = _on_air(live_portal)
    public = live_portal.visitor()
    page = public.get(f"/notices/{notice}/live")
    assert page.status_code == 200, page.text
    assert f'data-source="{HLS}/' in page.text and "/static/hls.min.js" in page.text
    media = re.search(r'data-source="([^"]+)"', page.text)
    assert media is not None
    status, playlist = f"{media[1]}status.json", f"{media[1]}live.m3u8"
    assert f'href="/notices/{notice}/live"' in public.get(f"/notices/{notice}").text
    assert "直播延时约 30 秒" in page.text
    listing = public.get("/notices").text  # on air: listed first, with its badge and player link
    assert "正在直播的庭审" in listing and f'href="/notices/{notice}/live"' in listing
    _wait_for(lambda: public.get(status).status_code == 200, "status.json published")
    assert public.get(status).json()["state"] == "live"

    clerk = live_portal.staff("clerk-a")
    [listed] = clerk.get("/api/broadcasts").json()
    assert listed["hearing_id"] == hearing and listed["state"] == "live" and listed["delay_seconds"] == 30
    assert listed["public_page"] == f"/notices/{notice}/live"
    assert clerk.post(f"/api/broadcasts/{hearing}/cut", headers={"X-CSRF-Token": "wrong"}).status_code == 403

    cut = clerk.post(f"/api/broadcasts/{hearing}/cut")
    assert cut.status_code == 200, cut.text
    assert cut.json()["broadcast"]["state"] == "cut"
    _wait_for(lambda: public.get(status).json()["state"] == "cut", "the public sees the cut")
    # the playlist stays live through a cut: players keep reloading it and see the resume
    assert "#EXT-X-ENDLIST" not in public.get(playlist).text

    staff_page = clerk.get("/staff/broadcasts")
    assert staff_page.status_code == 200 and f"/staff/broadcasts/{hearing}/resume" in staff_page.text
    resumed = clerk.http.post(f"/staff/broadcasts/{hearing}/resume", data={"csrf_token": clerk.csrf})
    assert resumed.status_code == 303 and resumed.headers["location"] == "/staff/broadcasts"
    assert clerk.get("/api/broadcasts").json()[0]["state"] == "live"
    _wait_for(lambda: public.get(status).json()["state"] == "live", "the public sees it again")

    judge = live_portal.staff("judge-a")
    cut_by_form = judge.http.post(f"/staff/broadcasts/{hearing}/cut", data={"csrf_token": judge.csrf})
    assert cut_by_form.status_code == 303
    clerk_id, judge_id = live_portal.world.users["clerk-a"], live_portal.world.users["judge-a"]
    assert live_portal.audit(f"hearing:{hearing}") == [
        ("broadcast_opened", "portal:broadcast-scheduler"),
        ("broadcast_cut", f"user:{clerk_id}:clerk-a"),
        ("broadcast_resumed", f"user:{clerk_id}:clerk-a"),
        ("broadcast_cut", f"user:{judge_id}:judge-a"),
    ]


def test_a_live_view_is_audited_once_per_viewer_without_the_address(live_portal: LivePortal) -> None:
    hearing, notice = _on_air(live_portal)
    viewer = live_portal.visitor()
    for _ in range(3):  # the page and two reloads within the window
        assert viewer.get(f"/notices/{notice}/live").status_code == 200
    with live_portal.sessions() as db:
        query = select(AuditRecord).where(AuditRecord.action == "public_viewed")
        [record] = db.scalars(query.where(AuditRecord.target == f"hearing:{hearing}"))
    assert record.ip == "" and '"kind":"live"' in record.detail and "127.0.0.1" not in record.detail
    clerk = live_portal.staff("clerk-a")
    assert "直播" in clerk.get(f"/staff/hearings/{hearing}/views").text


def test_the_rooms_sealed_span_cuts_the_public_broadcast_until_it_ends(live_portal: LivePortal) -> None:
    hearing, notice = _on_air(live_portal)
    public, agent, clerk = live_portal.visitor(), live_portal.visitor(), live_portal.staff("clerk-a")
    media = re.search(r'data-source="([^"]+)"', public.get(f"/notices/{notice}/live").text)
    assert media is not None
    status = f"{media[1]}status.json"
    _wait_for(lambda: public.get(status).status_code == 200, "status.json published")
    assert public.get(status).json()["state"] == "live"

    def report(sealed: bool) -> None:
        body = {
            "court": "court-a", "room": "room-a", "device_id": "pc-1", "state": "recording",
            "agent_time": live_portal.clock.now().isoformat(), "hearing_id": hearing,
            "recording_id": "rec-sealed-1", "sealed": sealed,
        }  # fmt: skip
        taken = agent.http.post(
            "/api/agent/room-state", json=body, headers={"Authorization": f"Bearer {AGENT_TOKEN}"}
        )
        assert taken.status_code == 200, taken.text

    report(True)  # the pass follows the report at once (the regular one is a minute away)
    _wait_for(lambda: public.get(status).json()["state"] == "cut", "the public broadcast cut for the seal")
    assert clerk.post(f"/api/broadcasts/{hearing}/resume").status_code == 409  # not while sealed
    report(True)
    assert public.get(status).json()["state"] == "cut"
    report(False)
    _wait_for(lambda: public.get(status).json()["state"] == "live", "the broadcast back after the seal")
    assert live_portal.audit(f"hearing:{hearing}") == [
        ("broadcast_opened", "portal:broadcast-scheduler"),
        ("broadcast_cut", "system"),
        ("broadcast_resumed", "system"),
    ]


def test_only_the_courts_clerks_and_judges_may_cut(live_portal: LivePortal) -> None:
    hearing, _ = _on_air(live_portal)
    other_court = live_portal.staff("clerk-b")
    assert other_court.get("/api/broadcasts").json() == []
    assert other_court.post(f"/api/broadcasts/{hearing}/cut").status_code == 404
    assert other_court.post(f"/api/broadcasts/{hearing}/resume").status_code == 404
    form = other_court.http.post(f"/staff/broadcasts/{hearing}/cut", data={"csrf_token": other_court.csrf})
    assert form.status_code == 404
    assert f"/staff/broadcasts/{hearing}/" not in other_court.get("/staff/broadcasts").text

    for refused in (live_portal.party(), live_portal.staff("operator-a")):
        assert refused.get("/api/broadcasts").status_code == 403
        assert refused.post(f"/api/broadcasts/{hearing}/cut").status_code == 403
        assert refused.get("/staff/broadcasts").status_code == 403
    anonymous = live_portal.visitor()
    assert anonymous.post(f"/api/broadcasts/{hearing}/cut").status_code == 401
    assert anonymous.get("/staff/broadcasts").status_code == 303  # to the sign-in page
    # nor the live app's own controls, even for an operator: the portal decides public broadcasts
    operator = live_portal.staff("operator-a")
    assert operator.post(f"/live/api/public/{FEED}/cut").status_code == 403
    assert operator.http.delete(f"/live/api/public/{FEED}").status_code == 403

    clerk = live_portal.staff("clerk-a")
    assert clerk.get("/api/broadcasts").json()[0]["state"] == "live"  # nothing above changed it
    assert [action for action, _ in live_portal.audit(f"hearing:{hearing}")] == ["broadcast_opened"]


def test_a_public_hearing_not_yet_on_air_has_a_page_saying_when(live_portal: LivePortal) -> None:
    _hearing, notice = live_portal.hearing(public=True)
    visitor = live_portal.visitor()
    waiting = visitor.get(f"/notices/{notice}/live")
    assert waiting.status_code == 200, waiting.text
    assert "未开始" in waiting.text and "data-source" not in waiting.text
    starts = re.search(r"<strong>(\d{4}年\d\d月\d\d日 \d\d:\d\d)", waiting.text)
    assert starts is not None and starts[1] in visitor.get(f"/notices/{notice}").text  # the same time
    listing = visitor.get("/notices").text
    assert "正在直播的庭审" not in listing
    assert "即将开庭" in listing and f'href="/notices/{notice}"' in listing.split("全部公告")[0]


@pytest.mark.parametrize(
    ("words", "found"),
    [
        ("(2026)京0101民初1号", True),  # half-width brackets
        ("（ 2026 ）京0101 民初1号", True),  # stray spaces
        ("张三", True),  # a party of a public hearing
        ("第二法院", False),
        ("（2026）京0102民初2号", False),
    ],
)
def test_visitors_search_notices_however_they_type(live_portal: LivePortal, words: str, found: bool) -> None:
    _hearing, notice = live_portal.hearing(public=True)
    listing = live_portal.visitor().get("/notices", params={"q": words})
    assert listing.status_code == 200
    assert (f'href="/notices/{notice}"' in listing.text) is found
    assert ("没有找到" in listing.text) is not found


def test_a_non_public_hearing_is_at_no_public_url(live_portal: LivePortal) -> None:
    hearing, notice = _on_air(live_portal, public=False)
    assert live_portal.scheduler.on_air() == []
    anonymous = live_portal.visitor()
    operator = live_portal.staff("operator-a")
    # an operator tries to open it through the live app's own API: refused, the portal decides
    assert operator.post(f"/live/api/public/{FEED}").status_code == 403
    paths = [
        f"/notices/{notice}/live",
        f"/live/public/{FEED}",
        f"{HLS}/live.m3u8",
        f"{HLS}/status.json",
        f"{HLS}/init-0001.mp4",
        f"{HLS}/0001-000001.m4s",
        "/live/public/hls/room-a/cam/live.m3u8",
    ]
    for visitor in (anonymous, operator, live_portal.staff("clerk-a")):
        for path in paths:
            assert visitor.get(path).status_code == 404, path
    assert f"/notices/{notice}/live" not in anonymous.get(f"/notices/{notice}").text
    assert live_portal.staff("clerk-a").post(f"/api/broadcasts/{hearing}/cut").status_code == 404
    assert live_portal.audit(f"hearing:{hearing}") == []
    assert not (live_portal.app.state.live_service.settings.public_dir / "room-a").exists()


@pytest.mark.parametrize("by", ["api", "form"])
def test_cancelling_a_hearing_on_air_takes_it_off_at_once(live_portal: LivePortal, by: str) -> None:
    hearing, notice = _on_air(live_portal)
    service = live_portal.app.state.live_service
    assert service.public.feed_ids() == [FEED]
    public = live_portal.visitor()
    assert public.get(f"/notices/{notice}/live").status_code == 200
    clerk = live_portal.staff("clerk-a")
    if by == "api":
        cancelled = clerk.post(f"/api/hearings/{hearing}/cancel", {"reason": "当事人和解，撤回起诉"})
        assert cancelled.status_code == 200, cancelled.text
    else:
        form = {"csrf_token": clerk.csrf, "reason": "当事人和解，撤回起诉"}
        assert clerk.http.post(f"/staff/hearings/{hearing}/cancel", data=form).status_code == 303
    # no scheduler pass in between: the cancel itself took it off air
    assert service.public.feed_ids() == [] and live_portal.scheduler.on_air() == []
    off_air = public.get(f"/notices/{notice}/live")  # says so, with no player
    assert off_air.status_code == 200 and "已取消" in off_air.text and "data-source" not in off_air.text
    page = public.get(f"/notices/{notice}").text
    assert "取消" in page and f"/notices/{notice}/live" not in page
    assert live_portal.audit(f"hearing:{hearing}") == [
        ("broadcast_opened", "portal:broadcast-scheduler"),
        ("broadcast_closed", "portal:broadcast-scheduler"),
    ]
    live_portal.reconcile()
    assert service.public.feed_ids() == []  # and the next pass does not open it again
