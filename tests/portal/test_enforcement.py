"""Enforcement cases (issue 15, items 5 and 6): actions of an execution case with time, place and
devices; the recordings its devices made during it linked by device and time; the coverage rule (two
recorders throughout for 查封 …) with its alarm; the case's party reviewing a linked recording
through the hearings' review flow. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from portal.models import Recording
from tests.portal.conftest import Browser, Portal
from tests.portal.test_device_fleet import enrolled
from tests.portal.world import REC_A, STAFF_PASSWORD

EXECUTION_CASE = "(2026)京0101执7号"  # typed with half-width brackets: stored in the official spelling


def _execution_case(portal: Portal) -> tuple[int, str]:
    """An execution case of court A with one party (its id and the party's password)."""
    clerk = portal.staff("clerk-a")
    body = {
        "number": EXECUTION_CASE,
        "court_id": portal.world.court_a,
        "name": "张三申请执行李四借款合同纠纷",
        "cause": "借款合同纠纷",
        "filing_date": "2026-03-01",
    }
    made = clerk.post("/api/cases", body)
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    party = clerk.post(f"/api/cases/{case_id}/parties", {"name": "张三", "role": "申请执行人"})
    assert party.status_code == 201, party.text
    return case_id, party.json()["access_password"]


def _local(moment: datetime, portal: Portal) -> str:
    return moment.astimezone(portal.app.state.portal.display_zone).strftime("%Y-%m-%dT%H:%M:%S")


def _record_action(portal: Portal, case_id: int, kind: str, start: datetime, end: datetime | None) -> Any:
    clerk = portal.staff("clerk-a")
    form: dict[str, Any] = {
        "csrf_token": clerk.csrf,
        "kind": kind,
        "place": "北京市朝阳区某小区 3 号楼",
        "starts_at": _local(start, portal),
        "ends_at": _local(end, portal) if end else "",
        "device": ["bodycam-1", "bodycam-2"],
    }
    return clerk.http.post(f"/staff/cases/{case_id}/actions", data=form)


def test_an_action_links_its_devices_recordings_and_alarms_without_two_recorders(portal: Portal) -> None:
    case_id, password = _execution_case(portal)
    devices = {name: enrolled(portal, name) for name in ("bodycam-1", "bodycam-2")}
    devices["bodycam-1"].heartbeat(recording="recording", recording_id=REC_A)  # names what it records
    with portal.db_factory() as db:
        recording = db.get_one(Recording, REC_A)
        assert recording.started_at is not None and recording.ended_at is not None
        start, end = recording.started_at - timedelta(minutes=1), recording.ended_at + timedelta(minutes=1)

    civil = _record_action(portal, portal.world.case_a, "查封", start, end)
    assert civil.status_code == 422 and "执行案件" in civil.text  # only execution cases
    made = _record_action(portal, case_id, "查封", start, end)
    assert made.status_code == 303, made.text
    action_url = made.headers["location"]
    action_id = int(action_url.rsplit("/", 1)[1])

    staff = portal.staff("judge-a")
    action = staff.get(f"/api/actions/{action_id}").json()
    assert action["case_number"] == "（2026）京0101执7号"
    assert action["recordings"] == [REC_A] and action["devices"] == ["bodycam-1", "bodycam-2"]
    assert action["required_recorders"] == 2 and action["covered_throughout"] is False
    assert all(s["recording"] <= 1 for s in action["shortfalls"])
    page = staff.get(action_url)
    assert page.status_code == 200 and "告警：此执行行为须由至少 2 台设备全程录像" in page.text
    assert REC_A in page.text
    assert portal.staff("clerk-b").get(action_url).status_code == 404  # another court's action

    party = portal.party("（2026）京0101执7号", password)
    seen = party.get("/api/my-case/actions").json()
    assert [(a["kind"], a["recordings"]) for a in seen] == [("查封", [REC_A])]
    assert "查封" in party.get("/my-case").text
    applied = party.post("/api/my-case/reviews", {"recording_id": REC_A, "purpose": "核对查封过程"})
    assert applied.status_code == 201, applied.text
    now = portal.clock.now()
    window = {"not_before": now.isoformat(), "not_after": (now + timedelta(days=1)).isoformat()}
    granted = staff.post(f"/api/reviews/{applied.json()['id']}/approve", window)
    assert granted.status_code == 201, granted.text
    assert party.get(f"/review/grants/{granted.json()['id']}").status_code == 200
    stranger = portal.party("（2026）京0102民初2号", portal.world.password_b)
    assert (
        stranger.post("/api/my-case/reviews", {"recording_id": REC_A, "purpose": "看看"}).status_code == 404
    )


def test_coverage_follows_the_heartbeats_of_two_devices(portal: Portal) -> None:
    case_id, _password = _execution_case(portal)
    devices = {name: enrolled(portal, name) for name in ("bodycam-1", "bodycam-2")}
    start = portal.clock.now()
    made = _record_action(portal, case_id, "搜查", start, None)
    assert made.status_code == 303, made.text
    action_id = int(made.headers["location"].rsplit("/", 1)[1])
    operator = Browser.signed_in(portal.client(), "staff", "operator-a", STAFF_PASSWORD)
    for _ in range(4):  # both recording, every 30 s
        for device in ("bodycam-1", "bodycam-2"):
            assert (
                devices[device].heartbeat(recording="recording", recording_id=f"r-{device}").status_code
                == 200
            )
        portal.clock.advance(timedelta(seconds=30))
    wall = operator.get("/api/enforcement/coverage").json()
    assert [(a["id"], a["covered_throughout"], a["recording_now"]) for a in wall] == [(action_id, True, 2)]

    devices["bodycam-2"].heartbeat(recording="standby")  # one stops: below the rule from now on
    devices["bodycam-1"].heartbeat(recording="recording", recording_id="r-bodycam-1")
    portal.clock.advance(timedelta(seconds=30))
    devices["bodycam-1"].heartbeat(recording="recording", recording_id="r-bodycam-1")
    wall = operator.get("/api/enforcement/coverage").json()
    assert wall[0]["covered_throughout"] is False and wall[0]["recording_now"] == 1
    [gap] = wall[0]["shortfalls"]
    assert gap["recording"] == 1
    assert datetime.fromisoformat(gap["start"]) == start + timedelta(minutes=2)
    clerk = portal.staff("clerk-a")
    ended = clerk.http.post(f"/staff/actions/{action_id}/end", data={"csrf_token": clerk.csrf})
    assert ended.status_code == 303
    again = clerk.http.post(f"/staff/actions/{action_id}/end", data={"csrf_token": clerk.csrf})
    assert again.status_code == 409
    assert portal.staff("clerk-b").get("/api/enforcement/coverage").json() == []
