"""Issue 10: every endpoint x every role x court A's ids, generated from the OpenAPI schema.

For each operation of ``app.openapi()`` and each caller outside court A (anonymous, the party of
court B's case, a clerk, judge and operator of court B) plus a party of case A (inside only for its
own case's endpoints), the operation is called with court A's object ids in its path parameters and
bodies. Nobody outside gets a 2xx for court A's objects (401/403/404/405/422, or a redirect to
sign-in), no answer is a 5xx, and no 2xx answer carries court A's data. Administrators reach every
court by design and are not in the matrix. Intentionally public operations are listed in ``PUBLIC``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from archive.store import ObjectStore
from portal.cases.filing import CaseDraft, create_case
from portal.db import transaction
from portal.devices.commands import request_command
from portal.devices.fleet import register_device
from portal.enforcement.actions import ActionDraft, create_action
from portal.identity.accounts import create_user
from portal.identity.principal import resolve_principal
from portal.identity.sessions import start_session
from portal.models import CommandAction, Role, User
from tests.portal.conftest import Portal, Template, open_portal, serve_openapi_document
from tests.portal.world import CASE_A, REC_A, STAFF_PASSWORD, actor_of

PUBLIC = {  # anyone may call these; they show only what is public (notices) or the caller's own session
    "GET /api/notices",
    "GET /api/notices/{notice_id}",
    "GET /notices",
    "GET /notices.ics",
    "GET /notices/{notice_id}",
    "GET /notices/{notice_id}/live",
    "GET /replays",  # replays: only ended public hearings, decided again on every request (test_replays)
    "GET /notices/{notice_id}/replay",
    "GET /notices/{notice_id}/replay/{part}/master.m3u8",
    "GET /notices/{notice_id}/replay/{part}/playlist.m3u8",
    "GET /notices/{notice_id}/replay/{part}/objects/{stream}/{name}",
    # a relayed segment: the signed token is the whole grant, issued by an access-checked segment
    # route (test_lan_media: forged, foreign, expired tokens are 404)
    "GET /media/{token}",
    "POST /api/session/{kind}",
    "GET /api/session",
    "DELETE /api/session",
    "GET /login",
    "POST /login",
    "GET /case-login",
    "POST /case-login",
    "POST /logout",
}
PARTY_OWN = {  # a party of case A reaches these for its own case (and nobody else does)
    "GET /api/my-case",
    "GET /api/my-case/recordings",
    "POST /api/my-case/reviews",
    "GET /api/my-case/reviews/{request_id}",
    "GET /api/my-case/actions",
    "GET /my-case",
    "POST /my-case/recordings/{recording_id}/apply",
    "GET /review/grants/{grant_id}",
    "GET /review/grants/{grant_id}/master.m3u8",
    "GET /review/grants/{grant_id}/playlist.m3u8",
    "GET /review/grants/{grant_id}/objects/{stream}/{name}",
}
BODY_TARGETS = {  # no path parameter, but the body names court A's objects
    "POST /api/cases",
    "POST /api/hearings",
    "POST /api/my-case/reviews",
}
DEVICE_A = "bodycam-court-a"
EXECUTION_A = "（2026）京0101执9号"
# party-a last: it is the only role whose own requests may succeed (PARTY_OWN) and change the shared
# world (see ``matrix_portal``), so every outsider meets the world as it was set up
ROLES = ["anonymous", "party-b", "clerk-b", "judge-b", "operator-b", "party-a"]
REFUSED = {401, 403, 404, 405, 422}
SIGN_IN = re.compile(r"^(https://testserver)?/(login|case-login)$")


def _operations(portal: Portal) -> list[tuple[str, str, str | None]]:
    spec = portal.app.openapi()
    return [
        (method.upper(), path, next(iter(operation.get("requestBody", {}).get("content", {})), None))
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    ]


def _bodies(portal: Portal, ids: dict[str, Any], csrf: str) -> dict[str, Any]:
    """A valid body per operation, naming court A's objects (forms carry the caller's CSRF token)."""
    world, now = portal.world, portal.clock.now()
    start = now + timedelta(days=10)
    times = {"starts_at": start.isoformat(), "expected_end_at": (start + timedelta(hours=2)).isoformat()}
    local = {"starts_at": start.strftime("%Y-%m-%dT%H:%M"), "expected_end_at": "2100-01-01T10:00"}
    window = {"not_before": now.isoformat(), "not_after": (now + timedelta(days=1)).isoformat()}
    case = {"number": "（2026）京0101民初99号", "name": "某诉某纠纷", "cause": "合同纠纷"}
    json_bodies = {
        "POST /api/my-case/reviews": {"recording_id": REC_A, "purpose": "核对庭审笔录"},
        "POST /api/reviews/{request_id}/approve": window | {"include_sealed": True},
        "POST /api/reviews/{request_id}/reject": {"reason": "理由不充分"},
        "POST /api/grants/{grant_id}/revoke": {"reason": "撤回许可"},
        "POST /api/cases": case | {"court_id": world.court_a, "filing_date": "2026-02-01"},
        "POST /api/cases/{case_id}/parties": {"name": "某人", "role": "原告"},
        "POST /api/cases/{case_id}/events": {
            "kind": "service",
            "occurred_on": "2026-02-01",
            "description": "送达",
        },
        "POST /api/hearings": {"case_id": world.case_a, "courtroom_id": world.room_a} | times,
        "POST /api/hearings/{hearing_id}/notice": {},
        "POST /api/hearings/{hearing_id}/cancel": {"reason": "原告撤诉"},
        "POST /api/hearings/{hearing_id}/reschedule": times,
        "POST /api/hearings/{hearing_id}/openness": {"is_public": True},
        "POST /api/devices/{device_id}/commands": {"action": "activate"},
        "POST /api/agent/devices/enrol": {"device_id": DEVICE_A, "public_key": "A" * 43 + "=", "code": "X"},
        "POST /api/agent/devices/{device_id}/commands/{command_id}/ack": {"result": "done"},
        "POST /api/agent/devices/{device_id}/heartbeat": {
            "free_bytes": 1,
            "backlog_segments": 0,
            "backlog_bytes": 0,
            "agent_version": "1",
            "recording": "standby",
            "device_time": now.isoformat(),
        },
        "POST /api/agent/recordings": {
            "recording_id": "rec-matrix",
            "court": "court-a",
            "room": "room-a",
            "segment_count": 1,
            "duration_seconds": 2.0,
        },
    }
    forms = {
        "POST /my-case/recordings/{recording_id}/apply": {"purpose": "核对庭审笔录"},
        "POST /staff/reviews/{request_id}/approve": {"hours": "24", "include_sealed": "true"},
        "POST /staff/reviews/{request_id}/reject": {"reason": "理由不充分"},
        "POST /staff/grants/{grant_id}/revoke": {"reason": "撤回许可"},
        "POST /staff/cases": case | {"court_id": str(world.court_a), "filing_date": "2026-02-01"},
        "POST /staff/cases/{case_id}/parties": {"name": "某人", "role": "原告"},
        "POST /staff/cases/{case_id}/events": {
            "kind": "service",
            "occurred_on": "2026-02-01",
            "description": "送达",
        },
        "POST /staff/cases/{case_id}/hearings": {"courtroom_id": str(world.room_a), "public": "yes"} | local,
        "POST /staff/hearings/{hearing_id}/notice": {"exception_basis": ""},
        "POST /staff/hearings/{hearing_id}/cancel": {"reason": "原告撤诉"},
        "POST /staff/hearings/{hearing_id}/reschedule": local,
        "POST /staff/hearings/{hearing_id}/openness": {"public": "yes"},
        "POST /staff/devices": {"device_id": "bodycam-new", "court": "court-a", "officer": "某人"},
        "POST /staff/devices/{device_id}/commands": {"action": "activate"},
        "POST /staff/devices/{device_id}/officer": {"officer": "某人"},
        "POST /staff/cases/{case_id}/actions": {
            "kind": "查封",
            "place": "某地某处",
            "starts_at": local["starts_at"],
            "device": DEVICE_A,
        },
        "POST /staff/recordings/{recording_id}/gaps/{gap_key}/explanation": {"explanation": "设备故障的说明"},
    }
    return {"json": json_bodies, "form": {k: v | {"csrf_token": csrf} for k, v in forms.items()}} | {
        "csrf": {"csrf_token": csrf}
    }


def _court_a_markers(portal: Portal) -> list[str]:
    """Texts only court A's data contains (case A's number, panel and procedure event, its recording;
    not its parties' names, which the filing form shows as a placeholder)."""
    return [CASE_A, REC_A, "起诉状副本已送达", "审判长 judge-a", DEVICE_A, EXECUTION_A, "甲院查封现场"]


@pytest.fixture(scope="module")
def matrix_portal(
    sqlite_template: Template,
    recording_store: ObjectStore,
    session_now: datetime,
    tmp_path_factory: pytest.TempPathFactory,
    openapi_document: dict[str, Any],
) -> Iterator[tuple[Portal, dict[str, Any]]]:
    """The SQLite world with the schema on (the session's document, checked against this app's
    routes), judge-b and operator-b, and one grant of court A's recording to party A (its
    application and grant ids). Built once for all roles (its sign-ins hash passwords at the
    production cost): an outsider's requests must all be refused, so they leave court A's objects as
    they were for the next role, and the one role that may change them (party-a) runs last."""
    data_dir = tmp_path_factory.mktemp("matrix")
    with open_portal(sqlite_template, recording_store, session_now, data_dir, portal_openapi=True) as portal:
        serve_openapi_document(portal.app, openapi_document)
        now = portal.clock.now()
        with transaction(portal.db_factory) as db:
            for name, role in (("judge-b", Role.JUDGE), ("operator-b", Role.OPERATOR)):
                user = create_user(
                    db,
                    username=name,
                    display_name=name,
                    role=role,
                    password=STAFF_PASSWORD,
                    now=now,
                    actor="test",
                    court_id=portal.world.court_b,
                )
                portal.world.users[name] = user.id
        party = portal.party(CASE_A, portal.world.password_a)
        applied = party.post("/api/my-case/reviews", {"recording_id": REC_A, "purpose": "核对庭审笔录"})
        assert applied.status_code == 201, applied.text
        request_id = applied.json()["id"]
        window = {"not_before": now.isoformat(), "not_after": (now + timedelta(days=1)).isoformat()}
        granted = portal.staff("judge-a").post(f"/api/reviews/{request_id}/approve", window)
        assert granted.status_code == 201, granted.text
        clerk = portal.staff("clerk-a")  # a password slip of court A (only its session may read it)
        added = clerk.http.post(
            f"/staff/cases/{portal.world.case_a}/parties",
            data={"csrf_token": clerk.csrf, "name": "某人", "role": "第三人"},
        )
        assert added.status_code == 303, added.text
        with transaction(portal.db_factory) as db:
            register_device(db, DEVICE_A, "court-a", "甲院执行员", actor="test", now=now)
            operator_a = actor_of(db.get_one(User, portal.world.users["operator-a"]))
            command = request_command(db, operator_a, DEVICE_A, CommandAction.ACTIVATE, now=now)
            clerk_a = actor_of(db.get_one(User, portal.world.users["clerk-a"]))
            draft = CaseDraft(EXECUTION_A, portal.world.court_a, "甲申请执行乙", "借款合同纠纷", now.date())
            execution = create_case(db, clerk_a, draft, now=now)
            action = create_action(
                db,
                clerk_a,
                execution.id,
                ActionDraft("查封", "甲院查封现场", now, now + timedelta(hours=1), (DEVICE_A,)),
                two_recorders=frozenset({"查封"}),
                now=now,
            )
            command_id, action_id = command.id, action.id
        ids = {
            "device_id": DEVICE_A,
            "command_id": command_id,
            "action_id": action_id,
            "slip_id": added.headers["location"].rsplit("/", 1)[1],
            "case_id": portal.world.case_a,
            "hearing_id": portal.world.hearing_a,
            "notice_id": portal.world.notice_a,
            "part": 1,
            "party_id": portal.world.party_a,
            "recording_id": REC_A,
            "request_id": request_id,
            "grant_id": granted.json()["id"],
            "kind": "party",
            "stream": "cam",
            "name": "init.mp4",
            "gap_key": 1,
        }
        yield portal, ids


def _client(portal: Portal, role: str) -> tuple[TestClient, str]:
    """A client signed in as ``role`` (a session started directly: no password hashing) and its CSRF."""
    client = portal.client()
    if role == "anonymous":
        return client, ""
    world = portal.world
    party_id = (world.party_a if role == "party-a" else world.party_b) if role.startswith("party") else None
    user_id = None if role.startswith("party") else world.users[role]
    context = portal.app.state.portal
    with transaction(context.sessions) as db:
        token = start_session(db, now=context.clock.now(), ip="matrix", user_id=user_id, party_id=party_id)
        principal = resolve_principal(db, token, now=context.clock.now(), policy=context.session_policy)
    assert principal is not None
    client.cookies.set("__Host-session", token)
    return client, principal.csrf_token


@pytest.mark.parametrize("role", ROLES)
def test_nobody_outside_court_a_reaches_its_objects(
    matrix_portal: tuple[Portal, dict[str, Any]], role: str
) -> None:
    portal, ids = matrix_portal
    client, csrf = _client(portal, role)
    bodies = _bodies(portal, ids, csrf)
    markers = _court_a_markers(portal)
    operations = _operations(portal)
    assert len(operations) > 50  # the schema was read
    failures: list[str] = []
    for method, template, content in operations:
        key = f"{method} {template}"
        if key in PUBLIC:
            continue
        path = template.format(**{name: ids[name] for name in re.findall(r"{(\w+)}", template)})
        kwargs: dict[str, Any] = {"headers": {"X-CSRF-Token": csrf}}
        if content == "application/json":
            kwargs["json"] = bodies["json"].get(key, {})
        elif content is not None:
            kwargs["data"] = bodies["form"].get(key, bodies["csrf"])
        response = client.request(method, path, **kwargs)
        status, text = response.status_code, response.text
        own = role == "party-a" and key in PARTY_OWN
        targeted = "{" in template or key in BODY_TARGETS
        if status >= 500:
            failures.append(f"{key}: {status} {text[:200]}")
        elif own:
            continue
        elif targeted and not (status in REFUSED or SIGN_IN.match(response.headers.get("location", ""))):
            failures.append(f"{key}: {status} for court A's object {text[:200]}")
        elif 200 <= status < 400 and (leaked := [m for m in markers if m in text]):
            failures.append(f"{key}: {status} shows court A's data {leaked}")
    assert not failures, "\n".join(failures)
