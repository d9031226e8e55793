"""The portal as the place a recording's trust is kept (issue 11, findings 6-7): agents report their
signing key and latest signed checkpoint head; an administrator approves keys; verification through
the portal checks the journal against both; the trust API hands both to ``archive verify --portal``.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select

from archive.journal import read_chain
from archive.journal.events import parse_event
from archive.journal.run_events import StartEvent
from archive.journal.signing.anchor import CheckpointHead, decode_heads, last_head
from archive.journal.signing.key_list import load_key_list
from archive.preservation.verify import find_prefix
from archive.store.object_store import ObjectStore
from portal.db import transaction
from portal.devices.exports import portal_signing_key
from portal.devices.registry import approve_key, note_key
from portal.models import CheckpointAnchor, DeviceKey, KeyStatus, Recording
from tests.capture.conftest import store_env
from tests.portal.conftest import AGENT_TOKEN, Portal, Template, open_portal
from tests.portal.served import ServedApp
from tests.portal.world import REC_A

VERIFY_TOKEN = "test-verify-token-0123456789abcdefghijkl"
AGENT = {"Authorization": f"Bearer {AGENT_TOKEN}"}


def _journal_head(store: ObjectStore) -> tuple[CheckpointHead, str]:
    prefix = find_prefix(store, REC_A)
    keys = sorted(o.key for o in store.list_objects(f"{prefix}/journal/"))
    lines = read_chain((k, store.read_bytes(k)) for k in keys).lines
    start = parse_event(lines[0])
    assert isinstance(start, StartEvent)
    head = last_head(REC_A, lines)
    assert head is not None
    return head, start.device_id


def _report(head: CheckpointHead, device_id: str) -> dict[str, Any]:
    checkpoint = head.to_fields()
    del checkpoint["recording_id"]
    return {
        "recording_id": REC_A,
        "court": "court-a",
        "room": "room-a",
        "case": "case-a",
        "segment_count": 3,
        "duration_seconds": 6.0,
        "complete": True,
        "device_id": device_id,
        "checkpoint": checkpoint,
    }


def _verify(portal: Portal) -> Recording:
    response = portal.staff("operator-a").post(f"/api/recordings/{REC_A}/verify")
    assert response.status_code == 200, response.text
    with portal.db_factory() as db:
        recording = db.get(Recording, REC_A)
        assert recording is not None
        return recording


def test_a_reported_head_is_anchored_and_its_key_noted(portal: Portal) -> None:
    head, device_id = _journal_head(portal.store)
    forged = _report(head, device_id)
    forged["checkpoint"]["signature"] = base64.b64encode(b"\0" * 64).decode()
    refused = portal.client().post("/api/agent/recordings", json=forged, headers=AGENT)
    assert refused.status_code == 422, refused.text
    with portal.db_factory() as db:
        assert db.scalars(select(CheckpointAnchor)).all() == []

    for _ in range(2):  # reported again (every heartbeat): kept once
        accepted = portal.client().post("/api/agent/recordings", json=_report(head, device_id), headers=AGENT)
        assert accepted.status_code == 200, accepted.text
    with portal.db_factory() as db:
        anchors = db.scalars(select(CheckpointAnchor)).all()
        key = db.get(DeviceKey, head.public_key)
    assert [(a.recording_id, a.seq, a.line_sha256) for a in anchors] == [(REC_A, head.seq, head.line_sha256)]
    assert key is not None and key.status is KeyStatus.SEEN and key.device_id == device_id


def test_portal_verification_uses_the_registry_and_the_anchor(portal: Portal) -> None:
    head, device_id = _journal_head(portal.store)
    portal.client().post("/api/agent/recordings", json=_report(head, device_id), headers=AGENT)

    unused = _verify(portal)  # no key approved yet: the registry is not in use, and verify says so
    assert unused.verification.value == "intact"
    assert "warning: device key" in unused.verification_problems

    now = portal.clock.now()
    with transaction(portal.db_factory) as db:  # another device's key approved: the registry is in use
        note_key(db, base64.b64encode(b"\1" * 32).decode(), "dev-other", now=now)
        approve_key(db, base64.b64encode(b"\1" * 32).decode(), actor="admin-a", now=now)
    refused = _verify(portal)
    assert refused.verification.value == "failed"
    assert "is not an approved device key" in refused.verification_problems

    with transaction(portal.db_factory) as db:
        approve_key(db, head.public_key, actor="admin-a", now=now)
    approved = _verify(portal)
    assert approved.verification.value == "intact", approved.verification_problems
    assert approved.verification_problems == ""  # key approved, anchored head reached: no warnings


def test_the_trust_api_needs_its_token_and_serves_signed_keys_and_heads(
    template: Template, recording_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> None:
    keys_url, anchors_url = "/api/trust/device-keys", f"/api/trust/recordings/{REC_A}/anchors"
    with open_portal(template, recording_store, session_now, tmp_path) as closed:
        assert closed.client().get(keys_url).status_code == 401  # no verify token set: nobody
    with open_portal(
        template, recording_store, session_now, tmp_path, portal_verify_token=SecretStr(VERIFY_TOKEN)
    ) as portal:
        head, device_id = _journal_head(portal.store)
        portal.client().post("/api/agent/recordings", json=_report(head, device_id), headers=AGENT)
        with transaction(portal.db_factory) as db:
            approve_key(db, head.public_key, actor="admin-a", now=portal.clock.now())
        assert portal.client().get(keys_url, headers=AGENT).status_code == 401  # the agent's token: no
        verifier = {"Authorization": f"Bearer {VERIFY_TOKEN}"}
        keys = portal.client().get(keys_url, headers=verifier)
        assert keys.status_code == 200, keys.text
        issuer = portal_signing_key(portal.app.state.portal.settings).public_key_b64
        listed = load_key_list(keys.content, trusted_issuer=issuer, where="api")
        assert [(k.public_key, k.device_id, k.approved_by) for k in listed.keys] == [
            (head.public_key, device_id, "admin-a")
        ]
        anchors = portal.client().get(anchors_url, headers=verifier)
        assert anchors.status_code == 200, anchors.text
        assert decode_heads(anchors.content, where="api") == [head]


def test_archive_verify_asks_the_portal(
    template: Template, recording_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> None:
    with (
        open_portal(
            template, recording_store, session_now, tmp_path, portal_verify_token=SecretStr(VERIFY_TOKEN)
        ) as portal,
        ServedApp(portal.app) as served,
    ):
        head, device_id = _journal_head(portal.store)
        portal.client().post("/api/agent/recordings", json=_report(head, device_id), headers=AGENT)
        env = store_env(recording_store.config) | {"COURTREC_PORTAL_VERIFY_TOKEN": VERIFY_TOKEN}
        command = [sys.executable, "-m", "archive", "verify", REC_A, "--portal", served.url]
        unapproved = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert unapproved.returncode == 1, unapproved.stdout + unapproved.stderr
        assert "is not an approved device key" in unapproved.stdout
        with transaction(portal.db_factory) as db:
            approve_key(db, head.public_key, actor="admin-a", now=portal.clock.now())
        approved = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert approved.returncode == 0, approved.stdout + approved.stderr
        assert f"anchored at portal {served.url}" in approved.stdout and "warning" not in approved.stdout
        wrong = env | {"COURTREC_PORTAL_VERIFY_TOKEN": AGENT_TOKEN}
        refused = subprocess.run(command, env=wrong, capture_output=True, text=True, timeout=120, check=False)
        assert refused.returncode == 2 and "COURTREC_PORTAL_VERIFY_TOKEN" in refused.stderr
