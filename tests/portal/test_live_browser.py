"""The live pages of the portal in a real headless Chromium, under the portal's CSP: an operator signs in
and the command-centre wall at /live/wall plays a feed an agent publishes over WHIP to /live/whip;
the public live page of a public hearing on air plays it through hls.js — the camera's picture with
the courtroom microphone's sound (a stream of its own, as the demo courtroom publishes them) — and
the clerk's cut shows.

The portal runs under uvicorn on loopback with the live service mounted and a frozen clock (the
test puts the hearing on air by moving it); a screenshot of each page goes to test-artifacts/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from archive.store.object_store import ObjectStore
from portal.clock import FrozenClock
from portal.db import make_sessionmaker, transaction
from portal.hearings.notices import HearingDraft, publish_notice, schedule_hearing
from portal.models import User
from portal.web.app import create_app
from streaming.publisher.live_input import LiveInput
from streaming.publisher.live_publisher import LivePublisher
from streaming.publisher.whip_client import WhipClient
from streaming.settings import StreamingSettings
from tests.portal.conftest import Template, portal_settings
from tests.portal.served import ServedApp, Visitor
from tests.portal.sound_checks import loudest_sound
from tests.portal.world import STAFF_PASSWORD, actor_of
from tests.streaming.browser import BASE_ARGS, CHROMIUM
from tests.streaming.conftest import LOOPBACK, EncodedTestFeed, ToneFeed

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DEVICE_ID, DEVICE_TOKEN = "courtroom-a", "courtroom-a-token-0123456789-abcdef"
TILE = 'figure[data-feed-id="room-a/bench-cam"]'


@pytest.fixture(scope="module")
def served(
    sqlite_template: Template,
    recording_store: ObjectStore,
    session_now: datetime,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServedApp, FrozenClock, Any]]:
    """The live portal for the module (test_crawl's live crawls share it and its publisher)."""
    tmp_path = tmp_path_factory.mktemp("live-portal")
    settings = portal_settings(sqlite_template.make_url(), tmp_path).model_copy(
        update={
            "environment": "development",
            "portal_cookie_secure": False,
            "portal_broadcast_check_seconds": 60.0,
            "portal_broadcast_delay_seconds": 1.0,
            "portal_hls_js_path": REPO / "node_modules" / "hls.js" / "dist" / "hls.min.js",
        }
    )
    live = StreamingSettings(
        ice_host_addresses=["127.0.0.1"],
        ice_allowed_networks=["127.0.0.0/8"],
        device_tokens={DEVICE_ID: SecretStr(DEVICE_TOKEN)},
        device_rooms={DEVICE_ID: ["room-a/bench-cam", "room-a/mic-1"]},
        public_dir=tmp_path / "public-live",
        hls_segment_seconds=1.0,
        node_modules=REPO / "node_modules",
    )
    clock = FrozenClock(session_now)
    app = create_app(settings, store=recording_store, clock=clock, live=live)
    with ServedApp(app) as server:
        yield server, clock, app
    app.state.portal.engine.dispose()


@pytest.fixture(scope="module")
def publisher(served: tuple[ServedApp, FrozenClock, Any]) -> Iterator[LivePublisher]:
    """The courtroom's camera (pictures only) and its microphone (a tone), each a stream of its own."""
    server = served[0]
    feed = EncodedTestFeed().start()
    tone = ToneFeed().start()
    source = LiveInput(video=feed.tap.subscribe(60), audio=None, request_keyframe=feed.request_keyframe)
    client = WhipClient(f"{server.url}/live/whip/room-a/bench-cam", DEVICE_TOKEN)
    live = LivePublisher("bench-cam", client, LOOPBACK, source)
    sound = LiveInput(video=None, audio=tone.tap.subscribe(100), request_keyframe=lambda: None)
    microphone = LivePublisher(
        "mic-1", WhipClient(f"{server.url}/live/whip/room-a/mic-1", DEVICE_TOKEN), LOOPBACK, sound
    )
    live.start()
    microphone.start()
    yield live
    microphone.stop()
    live.stop()
    tone.stop()
    feed.stop()


def _public_hearing_on_air(served: tuple[ServedApp, FrozenClock, Any], world: Any) -> tuple[int, int]:
    server, clock, app = served
    sessions = make_sessionmaker(app.state.portal.engine)
    now = clock.now()
    with transaction(sessions) as db:
        clerk = actor_of(db.get_one(User, world.users["clerk-a"]))
        draft = HearingDraft(
            world.case_a, world.room_a, now + timedelta(hours=1), now + timedelta(hours=3), is_public=True
        )
        hearing = schedule_hearing(db, clerk, draft, now=now)
        notice = publish_notice(db, clerk, hearing.id, now=now, exception_basis="依法当日开庭（测试）")
        ids = hearing.id, notice.id
    clock.advance(timedelta(hours=1))
    server.call(app.state.broadcasts.reconcile)
    return ids


def _screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_wall_and_public_page_play_under_the_portal(
    served: tuple[ServedApp, FrozenClock, Any], publisher: LivePublisher, sqlite_template: Template
) -> None:
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    server = served[0]
    hearing, notice = _public_hearing_on_air(served, sqlite_template.world)
    with sync_api.sync_playwright() as playwright:
        args = [*BASE_ARGS, "--autoplay-policy=no-user-gesture-required"]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            wall = browser.new_page()
            refused: list[str] = []
            wall.on(
                "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
            )
            wall.goto(f"{server.url}/live/wall")
            assert wall.url == f"{server.url}/login"  # sign in first
            wall.fill("input[name=identifier]", "operator-a")
            wall.fill("input[name=password]", STAFF_PASSWORD)
            wall.click("button[type=submit]")
            wall.wait_for_url(f"{server.url}/staff")
            wall.click('a[href="/live/wall"]')
            wall.wait_for_selector(f"{TILE} video", timeout=20_000)
            wall.wait_for_function(
                f"() => document.querySelector('{TILE} video').currentTime > 1", timeout=20_000
            )
            _screenshot(wall, "portal-live-wall.png")
            assert "第一法庭 · 审判席摄像机" in wall.inner_text(f"{TILE} .title")  # not room-a/bench-cam

            public = browser.new_page()
            public.on(
                "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
            )
            public.goto(f"{server.url}/notices/{notice}")
            public.click(f'a[href="/notices/{notice}/live"]')
            public.wait_for_function("() => document.getElementById('video').currentTime > 1", timeout=30_000)
            assert public.get_attribute("#live", "data-engine") == "hls.js"
            public.wait_for_function(
                "() => document.getElementById('video').webkitAudioDecodedByteCount > 0", timeout=15_000
            )
            level = loudest_sound(public)
            assert level > 0.01, f"the public page plays silence (RMS {level})"  # the microphone's tone
            _screenshot(public, "portal-public-live.png")

            clerk = Visitor(server.url).sign_in("staff", "clerk-a", STAFF_PASSWORD)
            try:
                assert clerk.post(f"/api/broadcasts/{hearing}/cut").status_code == 200
            finally:
                clerk.close()
            public.wait_for_function("() => document.getElementById('live').dataset.state === 'cut'")
            assert "中断" in (public.text_content("#live-status") or "")

            clerk = Visitor(server.url).sign_in("staff", "clerk-a", STAFF_PASSWORD)
            try:  # cancelled: off air at once, its files withdrawn; the open page says it ended
                cancelled = clerk.post(f"/api/hearings/{hearing}/cancel", {"reason": "当事人和解"})
                assert cancelled.status_code == 200, cancelled.text
            finally:
                clerk.close()
            public.wait_for_function(
                "() => document.getElementById('live').dataset.state === 'ended'", timeout=15_000
            )
            assert "结束" in (public.text_content("#live-status") or "")
            assert refused == []
        finally:
            browser.close()
