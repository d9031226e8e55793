"""The device fleet (issue 15, item 4): enrolment with a one-time code (negative cases audited), the
enrolled key verifying journals, heartbeats with clock offsets and alarms, and commands long-polled
by the device. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import re
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from portal.models import (
    AuditRecord,
    DeviceCommand,
    DeviceHeartbeat,
    DeviceKey,
    FleetDevice,
    KeyStatus,
    Recording,
)
from tests.portal.conftest import AGENT_TOKEN, Browser, Portal
from tests.portal.fleet_device import SigningDevice
from tests.portal.test_device_trust import _journal_head, _report
from tests.portal.world import REC_A

AGENT = {"Authorization": f"Bearer {AGENT_TOKEN}"}
KEY_1 = base64.b64encode(b"\1" * 32).decode()
KEY_2 = base64.b64encode(b"\2" * 32).decode()


def register(portal: Portal, device_id: str, court: str = "court-a", officer: str = "赵执行") -> str:
    """Register ``device_id`` on the admin's page and read its one-time code from the slip (PRG)."""
    admin = portal.staff("admin")
    made = admin.http.post(
        "/staff/devices",
        data={"csrf_token": admin.csrf, "device_id": device_id, "court": court, "officer": officer},
    )
    assert made.status_code == 303, made.text
    slip = admin.get(made.headers["location"])
    assert slip.status_code == 200 and slip.headers["cache-control"] == "no-store"
    found = re.search(r'id="enrolment-code">([A-Z0-9-]+)<', slip.text)
    assert found is not None, slip.text
    again = admin.get(made.headers["location"])  # reloading the slip makes no second code ...
    assert again.status_code == 410 and found.group(1) not in again.text  # ... and shows none again
    return found.group(1)


def enrol(portal: Portal, device_id: str, key: str, code: str) -> Any:
    body = {"device_id": device_id, "public_key": key, "code": code}
    return portal.client().post("/api/agent/devices/enrol", json=body, headers=AGENT)


def enrolled(portal: Portal, device_id: str, court: str = "court-a") -> SigningDevice:
    """A registered device that enrolled its own key with its one-time code."""
    device = SigningDevice(portal, device_id)
    assert device.enrol(register(portal, device_id, court)).status_code == 200
    return device


def _audited(portal: Portal, action: str) -> list[AuditRecord]:
    with portal.db_factory() as db:
        return list(
            db.scalars(select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.seq))
        )


def test_enrolment_takes_a_fresh_code_once_and_refuses_wrong_expired_and_reused_codes(portal: Portal) -> None:
    code = register(portal, "bodycam-1")
    anonymous = portal.client().post(
        "/api/agent/devices/enrol", json={"device_id": "bodycam-1", "public_key": KEY_1, "code": code}
    )
    assert anonymous.status_code == 401
    wrong = enrol(portal, "bodycam-1", KEY_1, "AAAA-BBBB-CCCC-DDDD")
    assert wrong.status_code == 403 and "登记码无效" in wrong.json()["detail"]
    other_device = register(portal, "bodycam-2")
    assert enrol(portal, "bodycam-1", KEY_1, other_device).status_code == 403  # another device's code
    bad_key = enrol(portal, "bodycam-1", "bm90IGEga2V5", code)
    assert bad_key.status_code == 422
    done = enrol(portal, "bodycam-1", KEY_1, code.lower().replace("-", " "))  # typed loosely: same code
    assert done.status_code == 200, done.text
    reused = enrol(portal, "bodycam-1", KEY_2, code)
    assert reused.status_code == 403 and "已使用" in reused.json()["detail"]

    expiring = register(portal, "bodycam-3")
    portal.clock.advance(timedelta(hours=24, seconds=1))
    expired = enrol(portal, "bodycam-3", KEY_2, expiring)
    assert expired.status_code == 403 and "过期" in expired.json()["detail"]

    with portal.db_factory() as db:
        key = db.get(DeviceKey, KEY_1)
        device = db.get(FleetDevice, "bodycam-1")
        assert db.get(DeviceKey, KEY_2) is None  # no refused key was noted
    assert key is not None and key.status is KeyStatus.APPROVED and key.device_id == "bodycam-1"
    assert device is not None and device.public_key == KEY_1
    refusals = [r.detail for r in _audited(portal, "device_enrolment_refused")]
    assert [("wrong_code" in d, "reused_code" in d, "expired_code" in d) for d in refusals] == [
        (True, False, False),
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]
    assert len(_audited(portal, "device_enrolled")) == 1
    assert len(_audited(portal, "enrolment_code_created")) == 3


def test_an_enrolled_key_verifies_its_journals_and_an_unenrolled_one_does_not(portal: Portal) -> None:
    head, device_id = _journal_head(portal.store)
    reported = portal.client().post("/api/agent/recordings", json=_report(head, device_id), headers=AGENT)
    assert reported.status_code == 200
    operator = portal.staff("operator-a")
    assert enrol(portal, "other-cam", KEY_1, register(portal, "other-cam")).status_code == 200

    def verify() -> Recording:
        assert operator.post(f"/api/recordings/{REC_A}/verify").status_code == 200
        with portal.db_factory() as db:
            return db.get_one(Recording, REC_A)

    unenrolled = verify()  # another device is enrolled; the recording's own key is not
    assert unenrolled.verification.value == "failed"
    assert "is not an approved device key" in unenrolled.verification_problems

    assert enrol(portal, device_id, head.public_key, register(portal, device_id)).status_code == 200
    enrolled = verify()
    assert enrolled.verification.value == "intact", enrolled.verification_problems


def test_heartbeats_keep_the_state_and_clock_offset_and_raise_alarms(portal: Portal) -> None:
    device = enrolled(portal, "bodycam-1")
    unknown = SigningDevice(portal, "bodycam-9").heartbeat()
    assert unknown.status_code == 403 and "未在门户登记" in unknown.json()["detail"]
    fine = device.heartbeat()
    assert fine.status_code == 200, fine.text
    assert fine.json()["server_time"].startswith(portal.clock.now().isoformat()[:19])
    operator = portal.staff("operator-a")
    page = operator.get("/staff/devices")
    assert page.status_code == 200 and "赵执行" in page.text and "80%" in page.text
    assert 'id="alarm-bodycam-1"' not in page.text

    late = (portal.clock.now() - timedelta(seconds=3)).isoformat()
    drifting = device.heartbeat(battery_percent=5, free_bytes=10**8, recording="fault", device_time=late)
    assert drifting.status_code == 200
    device.heartbeat(battery_percent=5, free_bytes=10**8, recording="fault", device_time=late)
    with portal.db_factory() as db:
        beats = list(db.scalars(select(DeviceHeartbeat).order_by(DeviceHeartbeat.id)))
    assert [(round(b.clock_offset_seconds), b.drifted) for b in beats] == [(0, False), (-3, True), (-3, True)]
    assert len(_audited(portal, "device_clock_drift")) == 1  # audited when the drift starts
    listed = operator.get("/api/devices").json()
    assert listed[0]["clock_offset_seconds"] == -3.0
    alarms = " ".join(listed[0]["alarms"])
    assert "电量低" in alarms and "存储空间不足" in alarms and "录像故障" in alarms and "时钟偏差" in alarms
    portal.clock.advance(timedelta(minutes=5))
    page = operator.get("/staff/devices")
    assert 'id="alarm-bodycam-1"' in page.text and "离线已 5 分" in page.text
    device = operator.get("/staff/devices/bodycam-1")
    assert device.status_code == 200 and "设备时钟偏差 -3.00 秒" in device.text
    assert portal.staff("clerk-b").get("/api/devices").status_code == 403
    assert portal.staff("clerk-a").get("/staff/devices/bodycam-1").status_code == 403


def test_the_backlog_shows_its_estimated_drain_time(portal: Portal) -> None:
    camera = enrolled(portal, "bodycam-2")
    beat = camera.heartbeat(upload_bytes_per_second=1024**2, drain_seconds=725.4)
    assert beat.status_code == 200, beat.text
    operator = portal.staff("operator-a")
    assert "预计 12分05秒 传完" in operator.get("/staff/devices").text
    device = operator.get("/staff/devices/bodycam-2").text
    assert "按近期上传速度（1.00 MB/秒）预计 12分05秒 传完" in device
    listed = {d["device_id"]: d for d in operator.get("/api/devices").json()}
    assert (listed["bodycam-2"]["drain_seconds"], listed["bodycam-2"]["upload_bytes_per_second"]) == (
        725.4,
        1024**2,
    )
    camera.heartbeat(upload_bytes_per_second=None, drain_seconds=None)  # link down: unknown
    assert "暂无法估计传完时间" in operator.get("/staff/devices/bodycam-2").text
    camera.heartbeat(backlog_segments=0, backlog_bytes=0, drain_seconds=0)
    assert 'id="drain"' not in operator.get("/staff/devices/bodycam-2").text
    refused = camera.heartbeat(drain_seconds=-1)
    assert refused.status_code == 422 and "drain_seconds" in refused.text


def test_a_command_waits_for_the_device_until_acknowledged(portal: Portal) -> None:
    device = enrolled(portal, "bodycam-1")
    commands_url = "/api/agent/devices/bodycam-1/commands"
    started = time.monotonic()
    idle = device.commands(wait=1)
    assert idle.status_code == 200 and idle.json() == {"commands": []}
    assert time.monotonic() - started >= 0.9  # it waited
    assert device.commands(wait=31).status_code == 422
    assert SigningDevice(portal, "nobody").commands().status_code == 403

    operator = portal.staff("operator-a")
    sent = operator.post("/api/devices/bodycam-1/commands", {"action": "activate"})
    assert sent.status_code == 201, sent.text
    command_id = sent.json()["id"]
    refused_elsewhere = Browser.signed_in(portal.client(), "staff", "clerk-b", "correct horse battery staple")
    assert (
        refused_elsewhere.post("/api/devices/bodycam-1/commands", {"action": "activate"}).status_code == 403
    )
    started = time.monotonic()
    for _ in range(2):  # pending until acknowledged: a device that lost the answer gets it again
        polled = device.commands(wait=25)
        assert [c["id"] for c in polled.json()["commands"]] == [command_id]
    assert time.monotonic() - started < 5  # answered at once, not after the wait
    command = polled.json()["commands"][0]
    assert command["action"] == "activate" and command["requested_by"].endswith("operator-a")
    ack_url = f"{commands_url}/{command_id}/ack"
    assert (
        portal.client().post(ack_url, json={"result": "done", "detail": "录像 r1 已开始"}).status_code == 401
    )
    assert device.ack(command_id, {"result": "maybe"}).status_code == 422
    other = enrolled(portal, "bodycam-2").ack(command_id, {"result": "done"})
    assert other.status_code == 404  # another device's command
    acked = device.ack(command_id, {"result": "done", "detail": "录像 r1 已开始"})
    assert acked.status_code == 204
    assert device.commands().json() == {"commands": []}
    page = operator.get("/staff/devices/bodycam-1")
    assert "已执行" in page.text and "录像 r1 已开始" in page.text
    with portal.db_factory() as db:
        stored = db.get_one(DeviceCommand, command_id)
    assert stored.result == "done"
    assert len(_audited(portal, "device_command_requested")) == 1
    assert len(_audited(portal, "device_command_acked")) == 1


def test_a_refused_registration_shows_the_form_again_and_only_admins_register(portal: Portal) -> None:
    admin = portal.staff("admin")
    bad = admin.http.post(
        "/staff/devices",
        data={"csrf_token": admin.csrf, "device_id": "bad id!", "court": "court-a", "officer": "某"},
    )
    assert bad.status_code == 422 and "设备编号" in bad.text and 'value="bad id!"' in bad.text
    nowhere = admin.http.post(
        "/staff/devices",
        data={"csrf_token": admin.csrf, "device_id": "cam-1", "court": "court-x", "officer": ""},
    )
    assert nowhere.status_code == 422 and "court-x" in nowhere.text
    operator = portal.staff("operator-a")
    refused = operator.http.post(
        "/staff/devices", data={"csrf_token": operator.csrf, "device_id": "cam-1", "court": "court-a"}
    )
    assert refused.status_code == 403
    forged = admin.http.post(
        "/staff/devices", data={"csrf_token": "forged", "device_id": "cam-1", "court": "court-a"}
    )
    assert forged.status_code == 403
    with portal.db_factory() as db:
        assert db.scalars(select(FleetDevice)).all() == []


def test_the_device_page_forms_refuse_a_forged_token_and_an_unknown_command(portal: Portal) -> None:
    register(portal, "bodycam-1")
    operator = portal.staff("operator-a")
    commands = "/staff/devices/bodycam-1/commands"
    forged = operator.http.post(commands, data={"csrf_token": "forged", "action": "activate"})
    assert forged.status_code == 403
    unknown = operator.http.post(commands, data={"csrf_token": operator.csrf, "action": "self_destruct"})
    assert unknown.status_code == 422 and "未知的指令" in unknown.text
    officer = "/staff/devices/bodycam-1/officer"
    assert operator.http.post(officer, data={"csrf_token": "forged", "officer": "钱某"}).status_code == 403
    with portal.db_factory() as db:
        assert db.scalars(select(DeviceCommand)).all() == []
        assert db.get_one(FleetDevice, "bodycam-1").officer == "赵执行"
    sent = operator.http.post(commands, data={"csrf_token": operator.csrf, "action": "activate"})
    assert sent.status_code == 303 and sent.headers["location"] == "/staff/devices/bodycam-1"
    moved = operator.http.post(officer, data={"csrf_token": operator.csrf, "officer": "钱某"})
    assert moved.status_code == 303 and moved.headers["location"] == "/staff/devices/bodycam-1"
    with portal.db_factory() as db:
        assert [c.action.value for c in db.scalars(select(DeviceCommand))] == ["activate"]
        assert db.get_one(FleetDevice, "bodycam-1").officer == "钱某"
