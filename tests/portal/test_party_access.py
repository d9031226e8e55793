"""A party sees its own case (art. 6) and nothing of any other case: every endpoint is tried with
another party's ids (ASVS 8.2.2, RELIABILITY.md row 15)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from portal.cases.filing import CaseDraft, create_case
from portal.db import transaction
from portal.devices.commands import request_command
from portal.devices.fleet import register_device
from portal.enforcement.actions import ActionDraft, create_action
from portal.models import CommandAction, User
from tests.portal.conftest import Browser, Portal, serve_openapi_document
from tests.portal.world import CASE_A, CASE_B, REC_A, REC_B, actor_of


def test_party_sees_its_case_facts(portal: Portal) -> None:
    party = portal.party(CASE_A, portal.world.password_a)
    case = party.get("/api/my-case").json()
    assert (
        case["number"] == CASE_A and case["cause"] == "民间借贷纠纷" and case["filing_date"] == "2026-01-05"
    )
    assert case["judge"] == {"name": "judge-a", "office_phone": "010-1234 5678"}
    assert case["clerk"]["name"] == "clerk-a" and case["clerk"]["office_phone"]
    assert case["panel"] == "审判长 judge-a"
    assert [e["description"] for e in case["events"]] == ["起诉状副本已送达"]
    assert [h["id"] for h in case["hearings"]] == [portal.world.hearing_a]
    recordings = party.get("/api/my-case/recordings").json()
    assert [r["id"] for r in recordings] == [REC_A]
    page = party.get("/my-case")
    assert page.status_code == 200 and CASE_A in page.text and "起诉状副本已送达" in page.text
    assert "乙案秘密" not in page.text and REC_B not in page.text


def _other_party_objects(portal: Portal) -> dict[str, str]:
    """Party B applies for its recording and is granted: its ids are what party A must not reach."""
    party_b = portal.party(CASE_B, portal.world.password_b)
    applied = party_b.post("/api/my-case/reviews", {"recording_id": REC_B, "purpose": "核对笔录"})
    assert applied.status_code == 201, applied.text
    now = portal.clock.now()
    window = {"not_before": now.isoformat(), "not_after": (now + timedelta(days=1)).isoformat()}
    granted = portal.staff("clerk-b").post(f"/api/reviews/{applied.json()['id']}/approve", window)
    assert granted.status_code == 201, granted.text
    clerk_b = portal.staff("clerk-b")  # a password slip of party B's court
    added = clerk_b.http.post(
        f"/staff/cases/{portal.world.case_b}/parties",
        data={"csrf_token": clerk_b.csrf, "name": "某人", "role": "第三人"},
    )
    assert added.status_code == 303, added.text
    with transaction(portal.db_factory) as db:  # court B's body camera, its command, an enforcement action
        clerk = actor_of(db.get_one(User, portal.world.users["clerk-b"]))
        register_device(db, "bodycam-b", "court-b", "", actor="test", now=now)
        admin = actor_of(db.get_one(User, portal.world.users["admin"]))
        command = request_command(db, admin, "bodycam-b", CommandAction.ACTIVATE, now=now)
        draft = CaseDraft("（2026）京0102执3号", portal.world.court_b, "申请执行", "合同纠纷", now.date())
        execution = create_case(db, clerk, draft, now=now)
        action = create_action(
            db,
            clerk,
            execution.id,
            ActionDraft("搜查", "乙院某处", now, None, ("bodycam-b",)),
            two_recorders=frozenset({"搜查"}),
            now=now,
        )
        command_id, action_id = command.id, str(action.id)
    return {
        "device_id": "bodycam-b",
        "command_id": command_id,
        "action_id": action_id,
        "slip_id": added.headers["location"].rsplit("/", 1)[1],
        "request_id": str(applied.json()["id"]),
        "grant_id": str(granted.json()["id"]),
        "recording_id": REC_B,
        "case_id": str(portal.world.case_b),
        "party_id": str(portal.world.party_b),
        "hearing_id": str(portal.world.hearing_a),
        "notice_id": str(portal.world.notice_a),
        "part": "1",
        "stream": "cam",
        "name": "00000001.m4s",
        "kind": "party",
        "gap_key": "1",
    }


# public pages: a notice, and its live page (which says 未开始 / 已结束 when the hearing is not on air)
PUBLIC = {
    "/notices/{notice_id}",
    "/notices/{notice_id}/live",
    "/notices/{notice_id}/replay",  # replays show only ended public hearings (tests/portal/test_replays.py)
    "/notices/{notice_id}/replay/{part}/master.m3u8",
    "/notices/{notice_id}/replay/{part}/playlist.m3u8",
    "/notices/{notice_id}/replay/{part}/objects/{stream}/{name}",
    "/api/notices/{notice_id}",
    "/api/session/{kind}",
    "/media/{token}",  # a relayed segment: the signed token is the grant (tests/portal/test_lan_media.py)
}


def _call(party: Browser, method: str, path: str) -> int:
    if method == "get":
        return int(party.get(path).status_code)
    if method == "delete":
        return int(party.http.delete(path, headers={"X-CSRF-Token": party.csrf}).status_code)
    body = {
        "recording_id": REC_B,
        "purpose": "x" * 5,
        "reason": "reason",
        "not_before": "2026-01-01T00:00:00Z",
        "not_after": "2026-01-02T00:00:00Z",
        "name": "n",
        "role": "r",
        "kind": "other",
        "occurred_on": "2026-01-01",
        "description": "d",
    }
    if not path.startswith("/api/"):  # a form
        form = {
            "csrf_token": party.csrf,
            "purpose": "看看",
            "reason": "理由",
            "hours": "2",
            "explanation": "说明",
        }
        return int(party.http.post(path, data=form).status_code)
    return int(party.post(path, body).status_code)


def test_every_endpoint_with_another_partys_ids(portal: Portal, openapi_document: dict[str, Any]) -> None:
    ids = _other_party_objects(portal)
    party_a = portal.party(CASE_A, portal.world.password_a)
    serve_openapi_document(portal.app, openapi_document)  # checked to list this app's operations
    schema = portal.app.openapi()
    checked = 0
    for template, operations in schema["paths"].items():
        if "{" not in template or template in PUBLIC:
            continue
        path = re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], template)
        for method in operations:
            status = _call(party_a, method, path)
            assert status in (401, 403, 404), f"{method.upper()} {path} answered {status}"
            checked += 1
    assert checked >= 15
    # and the data-bearing party endpoints without ids never show B's data
    assert REC_B not in party_a.get("/api/my-case/recordings").text
    assert CASE_B not in party_a.get("/api/my-case").text
    assert party_a.post("/api/my-case/reviews", {"recording_id": REC_B, "purpose": "看看"}).status_code == 404
    assert (
        party_a.http.post(
            f"/my-case/recordings/{REC_B}/apply", data={"purpose": "看看", "csrf_token": party_a.csrf}
        ).status_code
        == 404
    )
    for path in [
        f"/review/grants/{ids['grant_id']}",
        f"/review/grants/{ids['grant_id']}/playlist.m3u8",
        f"/review/grants/{ids['grant_id']}/objects/cam/00000001.m4s",
        f"/api/my-case/reviews/{ids['request_id']}",
    ]:
        assert party_a.get(path).status_code == 404, path


def test_a_party_of_the_same_case_cannot_use_the_others_grant(portal: Portal) -> None:
    party_a = portal.party(CASE_A, portal.world.password_a)
    applied = party_a.post("/api/my-case/reviews", {"recording_id": REC_A, "purpose": "核对笔录"}).json()
    now = portal.clock.now()
    window = {"not_before": now.isoformat(), "not_after": (now + timedelta(hours=2)).isoformat()}
    grant = portal.staff("judge-a").post(f"/api/reviews/{applied['id']}/approve", window).json()
    co_party = portal.party(CASE_A, portal.world.password_a2)
    assert co_party.get(f"/review/grants/{grant['id']}/playlist.m3u8").status_code == 404
    assert co_party.get(f"/api/my-case/reviews/{applied['id']}").status_code == 404


def test_staff_of_another_court_cannot_reach_the_case(portal: Portal) -> None:
    clerk_b = portal.staff("clerk-b")
    assert clerk_b.get(f"/api/cases/{portal.world.case_a}").status_code == 404
    assert clerk_b.get(f"/api/cases/{portal.world.case_a}/events").status_code == 404
    assert (
        clerk_b.post(f"/api/cases/{portal.world.case_a}/parties", {"name": "x", "role": "原告"}).status_code
        == 404
    )
    assert clerk_b.get(f"/api/recordings/{REC_A}").status_code == 404
    assert REC_A not in clerk_b.get("/api/recordings").text
    assert CASE_A not in str(clerk_b.get("/api/hearings").json())
    assert portal.staff("clerk-a").get(f"/api/cases/{portal.world.case_a}").status_code == 200
    assert portal.staff("admin").get(f"/api/cases/{portal.world.case_b}").status_code == 200


def test_clerk_files_a_case_and_issues_passwords(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    body = {
        "number": "（2026）京0101民初77号",
        "court_id": portal.world.court_a,
        "name": "甲诉乙",
        "cause": "合同纠纷",
        "filing_date": "2026-02-01",
    }
    created = clerk.post("/api/cases", body)
    assert created.status_code == 201, created.text
    assert clerk.post("/api/cases", body).status_code == 409
    bad = clerk.post("/api/cases", {**body, "number": "2026-123"})
    assert bad.status_code == 422
    foreign = clerk.post(
        "/api/cases", {**body, "number": "（2026）京0102民初78号", "court_id": portal.world.court_b}
    )
    assert foreign.status_code == 422
    issued = clerk.post(f"/api/cases/{created.json()['id']}/parties", {"name": "甲", "role": "原告"}).json()
    assert len(issued["access_password"]) == 12
    party = portal.party("（2026）京0101民初77号", issued["access_password"])
    assert party.get("/api/my-case").json()["name"] == "甲诉乙"
    event = clerk.post(
        f"/api/cases/{created.json()['id']}/events",
        {"kind": "jurisdiction", "occurred_on": "2026-02-02", "description": "本院有管辖权"},
    )
    assert event.status_code == 201
    assert party.get("/api/my-case").json()["events"][0]["kind"] == "jurisdiction"
