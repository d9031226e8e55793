"""A real browser (Debian's Chromium, driven by Playwright, under the portal's CSP) does what a clerk
does: sign in, file a case, schedule a public hearing five days out, publish its notice; a visitor
then finds the notice on the public list. Screenshots of the phone-sized pages go to test-artifacts/.

The portal is served by uvicorn on loopback from a fresh, migrated SQLite database with one court,
one courtroom and one clerk (no archive, no live service): the test needs nothing else.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from portal.clock import FrozenClock
from portal.db import make_engine, make_sessionmaker, transaction
from portal.identity.accounts import create_user, get_or_create_court, get_or_create_courtroom
from portal.migrate import upgrade
from portal.models import Role
from portal.web.app import create_app
from tests.portal.conftest import portal_settings
from tests.portal.served import ServedApp

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct horse battery staple"
CASE_NUMBER = "（2026）京0105民初1234号"
PHONE = {"width": 412, "height": 915}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, FrozenClock, ZoneInfo]]:
    """The portal on a fresh database: court 东城法院, courtroom 第一法庭, clerk ``clerk``."""
    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    engine = make_engine(url)
    upgrade(engine)
    with transaction(make_sessionmaker(engine)) as db:
        court = get_or_create_court(db, "bj-dc", "北京市东城区人民法院")
        get_or_create_courtroom(db, court, "room-1", "第一法庭")
        create_user(
            db,
            username="clerk",
            display_name="王书记员",
            role=Role.CLERK,
            password=PASSWORD,
            now=now,
            actor="test",
            court_id=court.id,
            office_phone="010-6512 3456",
        )
    engine.dispose()
    settings = portal_settings(url, tmp_path).model_copy(
        update={"environment": "development", "portal_cookie_secure": False}
    )
    clock = FrozenClock(now)
    app = create_app(settings, clock=clock)
    with ServedApp(app) as server:
        yield server.url, clock, app.state.portal.display_zone
    app.state.portal.engine.dispose()


def test_a_clerk_files_schedules_and_publishes_and_the_public_sees_it(
    served: tuple[str, FrozenClock, ZoneInfo],
) -> None:
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    base, clock, zone = served
    start = (clock.now() + timedelta(days=5)).astimezone(zone).replace(hour=9, minute=30)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        clerk = browser.new_page(viewport=PHONE)
        refused: list[str] = []
        clerk.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        try:
            _sign_in(clerk, base)
            _file_case(clerk, base)
            _schedule(clerk, start)
            _publish(clerk)
            visitor = browser.new_page(viewport=PHONE)
            visitor.goto(f"{base}/notices")
            card = visitor.locator("li.card", has_text=CASE_NUMBER)
            assert card.count() == 1
            assert (
                "第一法庭" in card.inner_text() and start.strftime("%Y年%m月%d日 09:30") in card.inner_text()
            )
            card.locator("a").click()
            visitor.locator("text=公开开庭审理").wait_for()
            _screenshot(visitor, "portal-public-notice.png")
            assert refused == []
        except (AssertionError, sync_api.Error):
            _screenshot(clerk, "portal-clerk-FAILED.png")
            raise
        finally:
            browser.close()


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=identifier]", "clerk")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/staff")


def _file_case(page: Any, base: str) -> None:
    page.click("text=案件（立案、当事人、开庭排期与公告）")
    page.wait_for_url(f"{base}/staff/cases")
    page.click("text=立案登记")
    page.fill("input[name=number]", CASE_NUMBER)
    page.fill("input[name=name]", "张三诉李四民间借贷纠纷")
    page.fill("input[name=cause]", "民间借贷纠纷")
    page.fill("input[name=filing_date]", "2026-01-05")
    page.select_option("select[name=clerk_id]", label="王书记员（办公电话 010-6512 3456）")
    page.click("button:has-text('立案')")
    page.locator("h1", has_text=CASE_NUMBER).wait_for()
    page.fill("input[name=name]", "张三")
    page.fill("input[name=role]", "原告")
    page.click("text=添加当事人（生成查询密码）")
    password = page.locator("#access-password").inner_text()
    assert len(password) >= 8
    page.click("text=返回案件")
    page.locator("li.card", has_text="原告：张三").wait_for()


def _schedule(page: Any, start: datetime) -> None:
    page.click("text=安排开庭")
    page.select_option("select[name=courtroom_id]", label="第一法庭")
    page.fill("input[name=starts_at]", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=expected_end_at]", (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    assert page.is_checked("input[name=public][value=yes]")
    page.click("button:has-text('排期')")
    page.locator("h1", has_text="开庭").wait_for()
    assert "公开审理" in page.locator("dl").inner_text()


def _publish(page: Any) -> None:
    page.click("button:has-text('发布公告')")
    page.locator("dd a", has_text="已发布").wait_for()
    _screenshot(page, "portal-clerk-hearing.png")


def _screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
