"""The courtroom recorder service's side of the portal: a room's schedule (changes, cancellations,
moves, the clerk's close), the room's state reports, and the alarm for a hearing that should be
recording and is not (courtrooms page, hearing page, compliance report)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from portal.models import Recording
from tests.portal.conftest import AGENT_TOKEN, Browser, Portal
from tests.portal.world import CASE_A

AGENT = {"Authorization": f"Bearer {AGENT_TOKEN}"}


def _schedule(clerk: Browser, portal: Portal, start: datetime, minutes: int = 60) -> int:
    body = {
        "case_id": portal.world.case_a,
        "courtroom_id": portal.world.room_a,
        "starts_at": start.isoformat(),
        "expected_end_at": (start + timedelta(minutes=minutes)).isoformat(),
    }
    response = clerk.post("/api/hearings", json=body)
    assert response.status_code == 201, response.text
    hearing_id: int = response.json()["id"]
    return hearing_id


def _room_schedule(agent: TestClient, room: str = "room-a") -> Any:
    response = agent.get(f"/api/agent/schedule?court=court-a&room={room}&days=2", headers=AGENT)
    return response


def _state(portal: Portal, state: str, hearing_id: int | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "court": "court-a",
        "room": "room-a",
        "device_id": "pc-1",
        "state": state,
        "agent_time": portal.clock.now().isoformat(),
        "hearing_id": hearing_id,
        "recording_id": "rec-live-1" if state == "recording" else None,
        "sources": [{"name": "cam-1", "problems": []}, {"name": "mic-1", "problems": ["audio_silent"]}],
        "storage_headroom_hours": 41.5,
        "upload_backlog": 3,
    } | extra


def test_the_room_schedule_shows_changes_cancellations_moves_and_the_clerks_close(portal: Portal) -> None:
    clerk, agent = portal.staff("clerk-a"), portal.client()
    now = portal.clock.now()
    kept = _schedule(clerk, portal, now + timedelta(minutes=10))
    cancelled = _schedule(clerk, portal, now + timedelta(hours=3))
    moved = _schedule(clerk, portal, now + timedelta(hours=5))
    assert clerk.post(f"/api/hearings/{cancelled}/cancel", json={"reason": "原告撤诉"}).status_code == 200
    new_start = now + timedelta(hours=7)
    body = {
        "starts_at": new_start.isoformat(),
        "expected_end_at": (new_start + timedelta(hours=1)).isoformat(),
    }
    assert clerk.post(f"/api/hearings/{moved}/reschedule", json=body).status_code == 200

    response = _room_schedule(agent)
    assert response.status_code == 200, response.text
    listed = {h["hearing_id"]: h for h in response.json()["hearings"]}
    assert listed[kept]["status"] == "scheduled" and listed[kept]["case_number"] == CASE_A
    assert listed[kept]["courtroom_name"] == "第一法庭"  # what the recorder's caption shows
    assert listed[cancelled]["status"] == "cancelled"
    assert datetime.fromisoformat(listed[moved]["starts_at"]) == new_start and listed[moved]["revision"] == 1
    assert portal.world.hearing_a not in listed  # five days ahead: beyond the two days asked for

    early = clerk.post(f"/api/hearings/{kept}/close")
    assert early.status_code == 409 and "尚未开庭" in early.json()["detail"]
    portal.clock.advance(timedelta(minutes=20))  # within the staff session's idle limit
    closed = clerk.post(f"/api/hearings/{kept}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "held"
    listed = {h["hearing_id"]: h for h in _room_schedule(agent).json()["hearings"]}
    assert listed[kept]["status"] == "held"


def test_the_agent_api_wants_the_token_and_a_known_room(portal: Portal) -> None:
    agent = portal.client()
    assert agent.get("/api/agent/schedule?court=court-a&room=room-a").status_code == 401
    wrong = {"Authorization": "Bearer not-the-token-0123456789abcdefghij"}
    assert agent.get("/api/agent/schedule?court=court-a&room=room-a", headers=wrong).status_code == 401
    unknown = _room_schedule(agent, room="room-zz")
    assert unknown.status_code == 404
    other_court = agent.post(
        "/api/agent/room-state", json=_state(portal, "idle") | {"room": "room-b"}, headers=AGENT
    )
    assert other_court.status_code == 404  # room-b is court B's, not court A's


def test_a_hearing_not_recording_is_an_alarm_within_its_first_minute(portal: Portal) -> None:
    clerk, agent = portal.staff("clerk-a"), portal.client()
    start = portal.clock.now() + timedelta(minutes=10)
    hearing = _schedule(clerk, portal, start)
    assert agent.post("/api/agent/room-state", json=_state(portal, "idle"), headers=AGENT).status_code == 200

    portal.clock.set(start + timedelta(seconds=29))
    assert clerk.get("/api/courtrooms").json()["alarms"] == []
    portal.clock.set(start + timedelta(seconds=30))
    alarms = clerk.get("/api/courtrooms").json()["alarms"]
    assert [a["hearing_id"] for a in alarms] == [hearing]
    assert (
        "从未上报" not in alarms[0]["reason"] and "上报状态" in alarms[0]["reason"]
    )  # the idle report is stale
    assert agent.post("/api/agent/room-state", json=_state(portal, "idle"), headers=AGENT).status_code == 200
    alarms = clerk.get("/api/courtrooms").json()["alarms"]
    assert alarms[0]["reason"] == "法庭录像服务未在录像"
    compliance = clerk.get("/api/compliance").json()
    assert [a["hearing_id"] for a in compliance["hearings_not_recording"]] == [hearing]
    page = clerk.get(f"/staff/hearings/{hearing}").text
    assert "应在录像而未录像" in page and "闭庭" in page
    assert "应在录像而未录像的庭审（1）" in clerk.get("/staff/compliance").text

    recording = _state(portal, "recording", hearing)
    assert agent.post("/api/agent/room-state", json=recording, headers=AGENT).status_code == 200
    assert clerk.get("/api/courtrooms").json()["alarms"] == []
    room = next(r for r in clerk.get("/api/courtrooms").json()["rooms"] if r["code"] == "room-a")
    assert room["state"] == "recording" and room["hearing_id"] == hearing and room["upload_backlog"] == 3
    courtrooms = clerk.get("/staff/courtrooms").text
    assert "录像中" in courtrooms and "无声音" in courtrooms and "约 41.5 小时" in courtrooms
    assert "正在为本次庭审录像" in clerk.get(f"/staff/hearings/{hearing}").text

    portal.clock.advance(timedelta(seconds=21))  # the recorder falls silent: its report goes stale
    assert [a["hearing_id"] for a in clerk.get("/api/courtrooms").json()["alarms"]] == [hearing]
    other = portal.staff("clerk-b")
    assert other.get("/api/courtrooms").json()["alarms"] == []  # court B's staff see only court B


def test_recordings_carried_by_a_state_report_are_indexed_under_their_hearing(portal: Portal) -> None:
    clerk, agent = portal.staff("clerk-a"), portal.client()
    first = _schedule(clerk, portal, portal.clock.now() + timedelta(minutes=1), minutes=30)
    second = _schedule(clerk, portal, portal.clock.now() + timedelta(minutes=31), minutes=30)
    portal.clock.advance(timedelta(minutes=32))  # back to back, one case: only the agent can tell them apart
    now = portal.clock.now()
    summary = {
        "recording_id": "rec-serve-1",
        "court": "court-a",
        "room": "room-a",
        "case": CASE_A,
        "streams": ["cam-1"],
        "segment_count": 4,
        "duration_seconds": 8.0,
        "started_at": (now - timedelta(seconds=8)).isoformat(),
        "ended_at": now.isoformat(),
        "complete": True,
        "hearing_id": second,
    }
    response = agent.post(
        "/api/agent/room-state", json=_state(portal, "idle", recordings=[summary]), headers=AGENT
    )
    assert response.status_code == 200 and response.json()["recordings_indexed"] == 1
    with portal.db_factory() as db:
        recording = db.get(Recording, "rec-serve-1")
        assert recording is not None and recording.complete and recording.case_id == portal.world.case_a
        assert recording.hearing_id == second != first
    foreign = summary | {"recording_id": "rec-serve-2", "room": "room-x"}
    refused = agent.post(
        "/api/agent/room-state", json=_state(portal, "idle", recordings=[foreign]), headers=AGENT
    )
    assert refused.status_code == 422 and "room-x" in refused.text
