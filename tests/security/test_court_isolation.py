"""Issue 10, finding 1: a recording belongs to the court of the device that made it.

A clerk of court B must not be able to take over court A's recordings by filing a case whose number
or device case code equals the code a court A device journaled; an existing link never moves; a link
that cannot be decided (several candidates, unknown court, conflicting reports) is an alarm for a
person, never a silent link.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from archive.export import RecordingSummary
from portal.audit.trail import AuditAction
from portal.db import transaction
from portal.identity.accounts import get_or_create_court
from portal.identity.principal import resolve_principal
from portal.identity.sessions import start_session
from portal.models import AuditRecord, Case, Hearing, Recording
from portal.records.recordings_index import apply_summary
from tests.portal.conftest import AGENT_TOKEN, Browser, Portal
from tests.portal.world import CASE_A, REC_A, REC_B

CODE_OF_A = "a-2026-0077"  # a case code court A's device journals before court A has filed the case
NUMBER_OF_A = "（2026）京0101民初77号"


def _signed_in(portal: Portal, *, user_id: int | None = None, party_id: int | None = None) -> Browser:
    """A browser with a session started directly: these tests are about which court a recording
    belongs to, not about signing in, and a password sign-in (Argon2id at the production cost) was
    a fifth of this module's time. The session is the one sign-in would have made."""
    http = portal.client()
    context = portal.app.state.portal
    with transaction(context.sessions) as db:
        now = context.clock.now()
        token = start_session(db, now=now, ip="testclient", user_id=user_id, party_id=party_id)
        principal = resolve_principal(db, token, now=now, policy=context.session_policy)
    assert principal is not None
    http.cookies.set("__Host-session", token)
    return Browser(http, principal.csrf_token)


def _as_staff(portal: Portal, username: str) -> Browser:
    return _signed_in(portal, user_id=portal.world.users[username])


def _as_party_b(portal: Portal) -> Browser:
    return _signed_in(portal, party_id=portal.world.party_b)


def _report(portal: Portal, **fields: Any) -> Any:
    body = {
        "recording_id": "rec-a-new",
        "court": "court-a",
        "room": "room-a",
        "case": CODE_OF_A,
        "streams": ["cam-1"],
        "segment_count": 10,
        "duration_seconds": 60.0,
        "started_at": "2026-03-01T01:00:00+00:00",
        "complete": True,
    } | fields
    response = portal.client().post(
        "/api/agent/recordings", json=body, headers={"Authorization": f"Bearer {AGENT_TOKEN}"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def _file_case(clerk: Browser, number: str, agent_code: str = "") -> Any:
    form = {
        "csrf_token": clerk.csrf,
        "number": number,
        "name": "某某诉某某纠纷",
        "cause": "合同纠纷",
        "filing_date": "2026-02-01",
        "agent_code": agent_code,
    }
    return clerk.http.post("/staff/cases", data=form)


def _case_id(portal: Portal, number: str) -> int:
    with portal.db_factory() as db:
        case_id = db.scalar(select(Case.id).where(Case.number == number))
    assert case_id is not None
    return case_id


def _reconcile(portal: Portal) -> None:
    response = _as_staff(portal, "operator-a").post("/api/recordings/reconcile")
    assert response.status_code == 200, response.text


def _assert_party_b_cannot_reach(portal: Portal, recording_id: str) -> None:
    party_b = _as_party_b(portal)
    assert recording_id not in party_b.get("/api/my-case/recordings").text
    applied = party_b.post("/api/my-case/reviews", {"recording_id": recording_id, "purpose": "核对笔录"})
    assert applied.status_code == 404, applied.text
    assert recording_id not in _as_staff(portal, "clerk-b").get("/api/reviews").text


def test_a_court_b_case_with_court_a_agent_code_does_not_take_the_recording(portal: Portal) -> None:
    reported = _report(portal)
    assert reported["case_id"] is None  # court A has not filed the case yet
    assert _file_case(_as_staff(portal, "clerk-b"), "（2026）京0102民初88号", CODE_OF_A).status_code == 303
    _report(portal)  # the agent reports again at stop
    _reconcile(portal)

    clerk_a = _as_staff(portal, "clerk-a")
    seen = clerk_a.get("/api/recordings/rec-a-new")
    assert seen.status_code == 200, seen.text
    assert seen.json()["case_id"] is None
    assert _as_staff(portal, "clerk-b").get("/api/recordings/rec-a-new").status_code == 404
    _assert_party_b_cannot_reach(portal, "rec-a-new")


def test_a_court_b_case_numbered_like_court_a_journal_does_not_take_the_recording(portal: Portal) -> None:
    _report(portal, case=NUMBER_OF_A)
    assert _file_case(_as_staff(portal, "clerk-b"), NUMBER_OF_A).status_code == 303
    _reconcile(portal)
    assert _as_staff(portal, "clerk-a").get("/api/recordings/rec-a-new").json()["case_id"] is None
    assert _as_staff(portal, "clerk-b").get("/api/recordings/rec-a-new").status_code == 404
    _assert_party_b_cannot_reach(portal, "rec-a-new")


def test_the_real_recording_from_the_bucket_stays_with_court_a(portal: Portal) -> None:
    """rec-a1 was made before court A coded its case; court B files that code first."""
    with transaction(portal.db_factory) as db:
        case_a = db.get(Case, portal.world.case_a)
        recording = db.get(Recording, REC_A)
        assert case_a is not None and recording is not None and recording.journaled_case == "case-a"
        case_a.agent_code, recording.case_id = None, None
    assert _file_case(_as_staff(portal, "clerk-b"), "（2026）京0102民初99号", "case-a").status_code == 303
    _reconcile(portal)
    seen = _as_staff(portal, "clerk-a").get(f"/api/recordings/{REC_A}")
    assert seen.status_code == 200 and seen.json()["case_id"] is None
    assert _as_staff(portal, "clerk-b").get(f"/api/recordings/{REC_A}").status_code == 404
    _assert_party_b_cannot_reach(portal, REC_A)


def test_case_codes_are_unique_per_court_and_link_within_the_court(portal: Portal) -> None:
    """Court B may use court A's code for its own case; court A's recording still links to court A's."""
    _report(portal)
    assert _file_case(_as_staff(portal, "clerk-b"), "（2026）京0102民初88号", CODE_OF_A).status_code == 303
    assert _file_case(_as_staff(portal, "clerk-a"), NUMBER_OF_A, CODE_OF_A).status_code == 303
    assert _file_case(_as_staff(portal, "clerk-a"), "（2026）京0101民初78号", CODE_OF_A).status_code == 409
    _reconcile(portal)
    linked = _as_staff(portal, "clerk-a").get("/api/recordings/rec-a-new").json()
    assert linked["case_id"] == _case_id(portal, NUMBER_OF_A)


def test_an_existing_link_never_moves(portal: Portal) -> None:
    assert _file_case(_as_staff(portal, "clerk-b"), "（2026）京0102民初88号", "case-a").status_code == 303
    assert _file_case(_as_staff(portal, "clerk-a"), NUMBER_OF_A, "case-a2").status_code == 303
    _reconcile(portal)
    # later reports of the same recording name another case of its court, then another court's case
    _report(portal, recording_id=REC_A, case="case-a2")
    _report(portal, recording_id=REC_A, court="court-b", room="room-b", case="case-b")
    _report(portal, recording_id=REC_B, court="court-a", room="room-a", case="case-a")
    _reconcile(portal)
    assert (
        _as_staff(portal, "clerk-a").get(f"/api/recordings/{REC_A}").json()["case_id"] == portal.world.case_a
    )
    assert _as_staff(portal, "clerk-b").get(f"/api/recordings/{REC_A}").status_code == 404
    assert (
        _as_staff(portal, "clerk-b").get(f"/api/recordings/{REC_B}").json()["case_id"] == portal.world.case_b
    )
    assert _as_staff(portal, "clerk-a").get(f"/api/recordings/{REC_B}").status_code == 404
    alarmed = _as_staff(portal, "clerk-a").get(f"/api/recordings/{REC_A}").json()
    assert alarmed["link_alarm"] == "conflicting_report"


def test_a_recording_of_an_unknown_court_stays_unlinked_with_an_alarm(portal: Portal) -> None:
    reported = _report(portal, court="court-z", case="case-b")
    assert reported["case_id"] is None and reported["link_alarm"] == "unknown_court"
    assert _as_staff(portal, "clerk-b").get("/api/recordings/rec-a-new").status_code == 404
    _assert_party_b_cannot_reach(portal, "rec-a-new")
    alarms = _as_staff(portal, "admin").get("/api/compliance").json()["recording_alarms"]
    assert [(a["recording_id"], a["alarm"]) for a in alarms] == [("rec-a-new", "unknown_court")]


def test_back_to_back_hearings_make_an_ambiguous_link_an_alarm(portal: Portal) -> None:
    """A recording with no case code starting between two hearings of different cases in its room."""
    assert _file_case(_as_staff(portal, "clerk-a"), NUMBER_OF_A).status_code == 303
    other_case = _case_id(portal, NUMBER_OF_A)
    started = portal.clock.now() - timedelta(hours=2)
    with transaction(portal.db_factory) as db:
        for case_id, begins in ((portal.world.case_a, started - timedelta(hours=1)), (other_case, started)):
            db.add(
                Hearing(
                    case_id=case_id,
                    courtroom_id=portal.world.room_a,
                    starts_at=begins,
                    expected_end_at=begins + timedelta(hours=1),
                    is_public=True,
                    created_by=portal.world.users["clerk-a"],
                    created_at=begins,
                )
            )
    reported = _report(portal, case="", started_at=started.isoformat())
    assert (reported["case_id"], reported["hearing_id"]) == (None, None)
    assert reported["link_alarm"] == "ambiguous"
    _reconcile(portal)
    clerk_a = _as_staff(portal, "clerk-a")
    assert clerk_a.get("/api/recordings/rec-a-new").json()["case_id"] is None
    alarms = clerk_a.get("/api/compliance").json()["recording_alarms"]
    assert [(a["recording_id"], a["alarm"]) for a in alarms] == [("rec-a-new", "ambiguous")]
    assert "rec-a-new" in clerk_a.get("/staff/compliance").text
    assert _as_staff(portal, "clerk-b").get("/api/compliance").json()["recording_alarms"] == []
    with portal.db_factory() as db:
        audited = db.scalars(select(AuditRecord).where(AuditRecord.action == "recording_link_alarm")).all()
    assert [r.target for r in audited] == ["recording:rec-a-new"]  # raised once, not at every reconcile


def test_an_ambiguous_case_code_is_an_alarm_not_a_link(portal: Portal) -> None:
    """Two cases of the recording's court answer to its code (data entered outside filing's rules)."""
    with transaction(portal.db_factory) as db:
        case_b_in_a = db.get(Case, portal.world.case_b)
        assert case_b_in_a is not None
        # court B's case moved to court A by hand, then given case A's number as its device code
        case_b_in_a.court_id, case_b_in_a.agent_code = portal.world.court_a, CASE_A
        summary = RecordingSummary(
            "rec-ambiguous", "court-a", "room-a", CASE_A, ("cam",), 1, 2.0, None, None, False
        )
        recording = apply_summary(db, summary, now=portal.clock.now(), in_bucket=False)
        assert recording.case_id is None
        assert recording.link_alarm == "ambiguous"


def test_a_first_report_that_names_no_court_yet_is_claimed_by_the_next(portal: Portal) -> None:
    """An agent reports at start, before its journal has a start line: nothing to apply, no alarm."""
    early = _report(portal, court="", room="", case="", segment_count=0, complete=False)
    assert early["case_id"] is None and early["link_alarm"] is None
    assert _file_case(_as_staff(portal, "clerk-a"), NUMBER_OF_A, CODE_OF_A).status_code == 303
    named = _report(portal)
    assert named["link_alarm"] is None and named["case_id"] == _case_id(portal, NUMBER_OF_A)
    later_blank = _report(portal, court="", room="", case="")  # a scan before its journal chunk arrived
    assert later_blank["link_alarm"] is None and later_blank["case_id"] == named["case_id"]


def test_a_recording_of_a_court_created_later_joins_that_court(portal: Portal) -> None:
    reported = _report(portal, court="court-z", room="room-z", case="")
    assert reported["link_alarm"] == "unknown_court"
    with transaction(portal.db_factory) as db:
        get_or_create_court(db, "court-z", "后设法院")
    again = _report(portal, court="court-z", room="room-z", case="")
    assert again["link_alarm"] is None
    with portal.db_factory() as db:
        recording = db.get(Recording, "rec-a-new")
        assert recording is not None and recording.court_id is not None
        outcomes = db.scalars(
            select(AuditRecord.outcome)
            .where(AuditRecord.target == "recording:rec-a-new")
            .where(AuditRecord.action == AuditAction.RECORDING_LINK_ALARM)
            .order_by(AuditRecord.seq)
        )
        assert list(outcomes) == ["unknown_court", "resolved"]
