"""Anonymous replay views are audited once per viewer per window, without the viewer's address, and
staff of the court read them as a page and as CSV (the live page: tests/portal/test_broadcasts.py)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from portal.audit.batcher import AuditBatcher
from portal.audit.public_views import PublicViewLog, ViewKind, agent_family
from portal.audit.trail import AuditAction, verify_chain
from portal.db import make_engine
from portal.migrate import upgrade
from portal.models import AuditRecord
from tests.portal import test_replays
from tests.portal.replay_hearings import Replay

pytestmark = pytest.mark.integration
replay_store, replay = test_replays.replay_store, test_replays.replay  # the replay's fixtures
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1"
ADDRESSES = ("198.51.100.7", "203.0.113.9")


def _views(replay: Replay) -> list[AuditRecord]:
    with replay.portal.db_factory() as db:
        query = select(AuditRecord).where(AuditRecord.action == AuditAction.PUBLIC_VIEWED.value)
        return list(db.scalars(query.where(AuditRecord.target == f"hearing:{replay.hearing_id}")))


def _watch(replay: Replay, address: str) -> None:
    """A viewer opens the replay: the page, its playlists and a segment (a reload does it all again)."""
    visitor = replay.portal.client(address)
    route = f"/notices/{replay.notice_id}/replay"
    assert visitor.get(route, headers={"User-Agent": PHONE}).status_code == 200
    master = visitor.get(f"{route}/1/master.m3u8", headers={"User-Agent": PHONE})
    assert master.status_code == 200, master.text
    playlist = visitor.get(master.text.strip().splitlines()[-1])
    first = next(line for line in playlist.text.splitlines() if line and not line.startswith("#"))
    assert visitor.get(first).status_code == 302


def test_a_replay_view_is_audited_once_per_viewer_and_window_without_the_address(replay: Replay) -> None:
    _watch(replay, ADDRESSES[0])
    [record] = _views(replay)
    detail = json.loads(record.detail)
    assert (record.actor, record.ip, detail["kind"]) == ("public", "", "replay")
    assert detail["agent"] == "Safari/手机"
    assert detail["viewer"] == replay.portal.app.state.portal.public_views.viewer_of(ADDRESSES[0])
    assert not any(ADDRESSES[0] in field for field in (record.actor, record.target, record.ip, record.detail))
    _watch(replay, ADDRESSES[0])  # a reload within the window
    assert len(_views(replay)) == 1
    _watch(replay, ADDRESSES[1])  # another viewer
    replay.portal.clock.advance(timedelta(minutes=31))
    _watch(replay, ADDRESSES[0])  # the first viewer again, after the window
    views = _views(replay)
    assert len(views) == 3 and len({json.loads(v.detail)["viewer"] for v in views}) == 2
    with replay.portal.db_factory() as db:
        assert verify_chain(db).intact


def test_the_courts_staff_read_the_views_as_a_page_and_csv(replay: Replay) -> None:
    _watch(replay, ADDRESSES[0])
    _watch(replay, ADDRESSES[1])
    clerk = replay.portal.staff("clerk-a")
    route = f"/staff/hearings/{replay.hearing_id}/views"
    page = clerk.get(route)
    assert page.status_code == 200 and "公开观看记录" in page.text and "共 2 次观看，2 位观看者" in page.text
    assert "回放" in page.text and "Safari/手机" in page.text
    sheet = clerk.get(f"{route}.csv")
    assert sheet.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["审计序号", "时间（北京时间）", "类型"] and len(rows) == 3
    assert all(row[2] == "回放" and len(row[3]) == 32 for row in rows[1:])
    assert not any(address in sheet.text or address in page.text for address in ADDRESSES)
    assert f'href="{route}"' in clerk.get(f"/staff/hearings/{replay.hearing_id}").text
    assert replay.portal.staff("clerk-b").get(route).status_code == 404  # another court's clerk


@pytest.mark.parametrize(
    ("agent", "family"),
    [
        (PHONE, "Safari/手机"),
        ("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0", "Edge"),
        ("Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0", "微信/手机"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36", "Chrome"),
        ("", "其他"),
    ],
)
def test_only_the_browser_family_is_kept(agent: str, family: str) -> None:
    assert agent_family(agent) == family


def test_a_view_the_log_could_not_record_is_served_and_recorded_at_the_next_request(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    upgrade(engine)
    batcher = AuditBatcher(engine)
    log = PublicViewLog(batcher, "secret", lambda: datetime.now(UTC), window=timedelta(minutes=30))

    def view() -> bool:
        return asyncio.run(log.viewed(7, ViewKind.LIVE, ip=ADDRESSES[0], user_agent=PHONE, notice_id=3))

    with engine.begin() as connection:
        refuse = "CREATE TRIGGER refuse BEFORE INSERT ON audit_records BEGIN SELECT RAISE(ABORT, 'full'); END"
        connection.execute(text(refuse))
    with caplog.at_level(logging.ERROR):
        assert not view()
    assert "served unaudited" in caplog.text
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER refuse"))
    assert view()  # not marked as seen while unrecorded: the next request records it
    assert not view()  # and then the window holds
    batcher.close()
    engine.dispose()
