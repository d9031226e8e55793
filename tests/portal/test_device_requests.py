"""A device's fleet calls are authenticated by its enrolled key (issue 15): the shared agent token
admits an agent, the signature says which device speaks. Refused (403, audited): an unsigned call,
an unregistered or unenrolled device, another device's key, a replayed request, a stale timestamp, a
tampered body, a revoked key. Revoking a key (``devices revoke-key``) also fails its journals."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from archive.formats.device_request import NONCE_HEADER
from portal.db import transaction
from portal.devices.registry import revoke_key
from portal.models import AuditRecord, DeviceHeartbeat, DeviceRequestNonce, FleetDevice, Recording
from tests.portal.conftest import Portal
from tests.portal.fleet_device import AGENT, SigningDevice
from tests.portal.test_device_fleet import enrolled, register
from tests.portal.test_device_trust import _journal_head, _report
from tests.portal.world import REC_A

HEARTBEAT = "/api/agent/devices/{}/heartbeat"


def _refusals(portal: Portal) -> list[str]:
    """The reasons of the audited refusals, in order."""
    with portal.db_factory() as db:
        rows = db.scalars(
            select(AuditRecord)
            .where(AuditRecord.action == "device_request_refused")
            .order_by(AuditRecord.seq)
        )
        return [json.loads(row.detail)["reason"] for row in rows]


def _beats(portal: Portal) -> int:
    with portal.db_factory() as db:
        return db.scalar(select(func.count()).select_from(DeviceHeartbeat)) or 0


def test_only_the_device_s_own_enrolled_key_speaks_for_it(portal: Portal) -> None:
    own = enrolled(portal, "bodycam-1")
    other = enrolled(portal, "bodycam-2")
    assert own.heartbeat().status_code == 200

    unsigned = portal.client().post(HEARTBEAT.format("bodycam-1"), json={}, headers=AGENT)
    assert unsigned.status_code == 403 and "未带设备签名" in unsigned.json()["detail"]
    impostor = SigningDevice(portal, "bodycam-1", key=own.key, signer=other.key)  # bodycam-2's key
    assert impostor.heartbeat(battery_percent=1).status_code == 403
    not_enrolled = SigningDevice(portal, "bodycam-3")
    register(portal, "bodycam-3")
    assert not_enrolled.heartbeat().status_code == 403
    assert not_enrolled.commands().status_code == 403
    # bodycam-2 signing as itself, but for bodycam-1's path: the signature names another device
    data, headers = other.signed("POST", HEARTBEAT.format("bodycam-2"), {"x": 1})
    moved = other.send(data, headers, "POST", HEARTBEAT.format("bodycam-1"))
    assert moved.status_code == 403

    assert _refusals(portal) == ["unsigned", "bad_signature", "not_enrolled", "not_enrolled", "other_device"]
    with portal.db_factory() as db:
        device = db.get_one(FleetDevice, "bodycam-1")
    assert device.battery_percent == 80  # the impostor's report changed nothing
    assert _beats(portal) == 1


def test_a_replayed_stale_or_tampered_request_is_refused(portal: Portal) -> None:
    device = enrolled(portal, "bodycam-1")
    url = HEARTBEAT.format("bodycam-1")
    now = portal.clock.now().isoformat()
    body = {
        "free_bytes": 1,
        "backlog_segments": 0,
        "backlog_bytes": 0,
        "agent_version": "1",
        "recording": "standby",
        "device_time": now,
    }
    data, headers = device.signed("POST", url, body)
    assert device.send(data, headers, "POST", url).status_code == 200
    replayed = device.send(data, headers, "POST", url)
    assert replayed.status_code == 403 and "重放" in replayed.json()["detail"]

    tampered_body = data.replace(b'"recording": "standby"', b'"recording": "fault"')
    assert tampered_body != data
    fresh_data, fresh_headers = device.signed("POST", url, body)
    assert device.send(tampered_body, fresh_headers, "POST", url).status_code == 403
    other_nonce = {**fresh_headers, NONCE_HEADER: "0" * 32}  # a nonce the signature does not cover
    assert device.send(fresh_data, other_nonce, "POST", url).status_code == 403

    stale_data, stale_headers = device.signed("POST", url, body)
    portal.clock.advance(timedelta(seconds=121))  # the default window is 120 s
    stale = device.send(stale_data, stale_headers, "POST", url)
    assert stale.status_code == 403 and "校准设备时钟" in stale.json()["detail"]
    ahead_data, ahead_headers = device.signed("POST", url, body)  # a device clock 121 s ahead
    portal.clock.advance(timedelta(seconds=-121))
    assert device.send(ahead_data, ahead_headers, "POST", url).status_code == 403
    portal.clock.advance(timedelta(seconds=121))

    assert _refusals(portal) == [
        "replayed",
        "bad_signature",
        "bad_signature",
        "stale_timestamp",
        "stale_timestamp",
    ]
    assert _beats(portal) == 1  # only the first, genuine request was kept
    # nonces are forgotten once their window has passed (a request that old is refused anyway)
    portal.clock.advance(timedelta(minutes=10))
    assert device.heartbeat(device_time=portal.clock.now().isoformat()).status_code == 200
    with portal.db_factory() as db:
        assert db.scalar(select(func.count()).select_from(DeviceRequestNonce)) == 1


def test_a_revoked_key_is_refused_and_its_journals_fail_verification(portal: Portal) -> None:
    head, recorder_id = _journal_head(portal.store)
    agent = portal.client()
    assert (
        agent.post("/api/agent/recordings", json=_report(head, recorder_id), headers=AGENT).status_code == 200
    )
    recorder_code = register(portal, recorder_id)
    body = {"device_id": recorder_id, "public_key": head.public_key, "code": recorder_code}
    assert agent.post("/api/agent/devices/enrol", json=body, headers=AGENT).status_code == 200
    operator = portal.staff("operator-a")

    def verify() -> Recording:
        assert operator.post(f"/api/recordings/{REC_A}/verify").status_code == 200
        with portal.db_factory() as db:
            return db.get_one(Recording, REC_A)

    assert verify().verification.value == "intact"
    device = enrolled(portal, "bodycam-1")
    assert device.heartbeat().status_code == 200
    now = portal.clock.now()
    with transaction(portal.db_factory) as db:
        revoke_key(db, head.public_key, actor="it-admin", reason="设备遗失", now=now)
        revoke_key(db, device.key.public_key_b64, actor="it-admin", reason="设备遗失", now=now)

    again_reported = agent.post("/api/agent/recordings", json=_report(head, recorder_id), headers=AGENT)
    assert again_reported.status_code == 422 and "revoked" in again_reported.text  # no new anchor
    revoked = verify()
    assert revoked.verification.value == "failed"
    assert "was revoked" in revoked.verification_problems and "设备遗失" in revoked.verification_problems
    refused = device.heartbeat()
    assert refused.status_code == 403 and "吊销" in refused.json()["detail"]
    assert device.commands().status_code == 403
    assert _refusals(portal) == ["key_revoked", "key_revoked"]
    again = register(portal, "bodycam-1")  # a new code does not bring the revoked key back
    assert device.enrol(again).status_code == 403
    with portal.db_factory() as db:
        actions = db.scalars(select(AuditRecord.action).where(AuditRecord.action == "device_key_revoked"))
        assert len(list(actions)) == 2
