"""The alarms a capture agent reports with a recording (a full spool, a spool running out) are kept by
the portal and shown to staff in Chinese on the compliance page until the agent says they cleared
(issue 11, finding 3: the portal used to drop them)."""

from __future__ import annotations

from datetime import UTC, datetime

from capture.space.spool_space import SpaceAlarm, SpaceCondition
from portal.models import Recording
from tests.portal.conftest import AGENT_TOKEN, Portal

AGENT = {"Authorization": f"Bearer {AGENT_TOKEN}"}
FULL = SpaceAlarm(
    SpaceCondition.DISK_FULL, True, "spool /srv/spool: 0 bytes free", datetime(2026, 12, 3, tzinfo=UTC), True
).line()
LOW = SpaceAlarm(
    SpaceCondition.DISK_LOW, True, "about 1.5 h of recording left", datetime(2026, 12, 3, tzinfo=UTC)
)


def _report(**extra: object) -> dict[str, object]:
    return {
        "recording_id": "rec-alarmed",
        "court": "court-a",
        "room": "room-a",
        "case": "case-a",
        "segment_count": 3,
        "duration_seconds": 6.0,
        **extra,
    }


def _device_alarms(portal: Portal) -> list[dict[str, object]]:
    response = portal.staff("clerk-a").get("/api/compliance")
    assert response.status_code == 200, response.text
    alarms: list[dict[str, object]] = response.json()["device_alarms"]
    return alarms


def test_reported_alarms_are_shown_in_chinese_until_the_agent_clears_them(portal: Portal) -> None:
    client = portal.client()
    sent = client.post("/api/agent/recordings", json=_report(alarms=[FULL, LOW.line()]), headers=AGENT)
    assert sent.status_code == 200, sent.text
    (shown,) = _device_alarms(portal)
    assert shown["recording_id"] == "rec-alarmed"
    assert [(a["name"], a["critical"]) for a in shown["alarms"]] == [  # type: ignore[union-attr]
        ("存储空间已满，录制中断", True),
        ("存储空间即将用尽", False),
    ]
    page = portal.staff("clerk-a").get("/staff/compliance").text
    assert "录像设备告警（1）" in page and "【严重】存储空间已满" in page

    assert client.post("/api/agent/recordings", json=_report(), headers=AGENT).status_code == 200
    assert len(_device_alarms(portal)) == 1  # a report that says nothing about alarms keeps them
    assert client.post("/api/agent/recordings", json=_report(alarms=[]), headers=AGENT).status_code == 200
    assert _device_alarms(portal) == []
    with portal.db_factory() as db:
        recording = db.get(Recording, "rec-alarmed")
        assert recording is not None and recording.agent_alarms_at is not None


def test_another_courts_staff_do_not_see_the_alarms(portal: Portal) -> None:
    sent = portal.client().post("/api/agent/recordings", json=_report(alarms=[FULL]), headers=AGENT)
    assert sent.status_code == 200, sent.text
    response = portal.staff("clerk-b").get("/api/compliance")
    assert response.status_code == 200 and response.json()["device_alarms"] == []


def test_too_many_or_too_long_alarm_lines_are_refused(portal: Portal) -> None:
    client = portal.client()
    many = client.post("/api/agent/recordings", json=_report(alarms=[FULL] * 17), headers=AGENT)
    long = client.post("/api/agent/recordings", json=_report(alarms=["x" * 501]), headers=AGENT)
    assert many.status_code == 422 and long.status_code == 422
    with portal.db_factory() as db:
        assert db.get(Recording, "rec-alarmed") is None
