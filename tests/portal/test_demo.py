"""The demo data of `make run` can be seeded twice and lets the demo party and staff sign in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from portal.broadcasting.schedule import due_broadcasts
from portal.clock import FrozenClock
from portal.db import transaction
from portal.demo import LIVE_HEARING_LEAD, seed_demo
from portal.migrate import upgrade
from portal.models import Case
from portal.web.app import create_app
from tests.portal.conftest import portal_settings


def test_seed_demo_is_idempotent_and_usable(tmp_path: Path) -> None:
    app = create_app(portal_settings(f"sqlite:///{tmp_path / 'demo.sqlite3'}", tmp_path), store=None)
    context = app.state.portal
    upgrade(context.engine)
    with transaction(context.sessions) as db:
        first = seed_demo(db, now=context.clock.now(), recording_id=None)
    with transaction(context.sessions) as db:
        second = seed_demo(db, now=context.clock.now(), recording_id="not-indexed")
    assert first.party_password != second.party_password and second.granted_recording is None
    # the demo bodycam films the execution case and enrols with a fresh one-time code each run
    assert first.enforcement_case_number == second.enforcement_case_number == "（2026）京0101执1234号"
    assert first.bodycam_enrolment_code != second.bodycam_enrolment_code
    with context.sessions() as db:
        numbers = db.scalars(select(Case.number).where(Case.number == second.enforcement_case_number))
        assert len(list(numbers)) == 1
    with TestClient(app, base_url="https://testserver") as client:
        notices = client.get("/api/notices").json()["notices"]
        assert [n["case_number"] for n in notices] == [second.case_number]
        old = client.post(
            "/api/session/party", json={"identifier": first.case_number, "password": first.party_password}
        )
        assert old.status_code == 401
        new = client.post(
            "/api/session/party", json={"identifier": second.case_number, "password": second.party_password}
        )
        assert new.status_code == 200
        clerk = client.post(
            "/api/session/staff", json={"identifier": "clerk", "password": second.clerk_password}
        )
        assert clerk.status_code == 200
    context.engine.dispose()


def test_the_live_demo_hearing_goes_on_air_and_is_reused(tmp_path: Path) -> None:
    clock = FrozenClock(datetime.now(UTC))
    app = create_app(
        portal_settings(f"sqlite:///{tmp_path / 'demo.sqlite3'}", tmp_path), store=None, clock=clock
    )
    context = app.state.portal
    upgrade(context.engine)
    with transaction(context.sessions) as db:
        first = seed_demo(db, now=clock.now(), recording_id=None, live_hearing=True)
    clock.advance(LIVE_HEARING_LEAD)
    with context.readonly_sessions() as db:
        due = due_broadcasts(db, now=clock.now(), grace=timedelta(minutes=30), stream="bench-cam")
    assert [(feed, item.notice_id) for feed, item in due.items()] == [
        ("demo-courtroom-1/bench-cam", first.live_notice_id)
    ]
    clock.advance(timedelta(minutes=5))  # `make run` again while the demo hearing runs: the same one
    with transaction(context.sessions) as db:
        second = seed_demo(db, now=clock.now(), recording_id=None, live_hearing=True)
    assert second.live_notice_id == first.live_notice_id
    with TestClient(app, base_url="https://testserver") as client:
        operator = client.post(
            "/api/session/staff", json={"identifier": "operator", "password": second.operator_password}
        )
        assert operator.status_code == 200 and operator.json()["role"] == "operator"
    context.engine.dispose()
