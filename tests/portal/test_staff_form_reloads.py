"""Staff forms answer with a redirect and the pages they land on reload without change (no second
party, password reset or audit entry); a password slip is shown once and only to the session that made
it; a refused form keeps what was typed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.models import AuditRecord, Case, CaseEvent
from tests.portal.conftest import Portal
from tests.portal.staff_forms import case_fields, local_input, party_ids, post_form, shown_password


def test_reloading_a_form_result_changes_nothing(portal: Portal) -> None:
    """PRG: each form that changes something answers 303; reloading where it lands is a GET."""
    clerk = portal.staff("clerk-a")
    case_url = f"/staff/cases/{portal.world.case_a}"
    before = party_ids(clerk, case_url)
    added = post_form(clerk, f"{case_url}/parties", name="丙公司", role="第三人")
    assert added.status_code == 303
    slip_url = added.headers["location"]
    first = clerk.get(slip_url)
    assert first.status_code == 200 and shown_password(first.text)
    for _ in range(2):  # the browser reloads the slip page: shown once, and nothing is made again
        again = clerk.get(slip_url)
        assert again.status_code == 410 and "只显示一次" in again.text
        assert shown_password(first.text) not in again.text
    assert len(party_ids(clerk, case_url)) == len(before) + 1  # one party, however often reloaded
    with portal.db_factory() as db:
        rotations = db.scalars(select(AuditRecord).where(AuditRecord.action == "password_rotated")).all()
    party_id = int(party_ids(clerk, case_url)[-1])
    reset = post_form(clerk, f"/staff/parties/{party_id}/password", confirmed="yes")
    assert reset.status_code == 303
    assert clerk.get(reset.headers["location"]).status_code == 200
    assert clerk.get(reset.headers["location"]).status_code == 410  # shown once
    with portal.db_factory() as db:
        after = db.scalars(select(AuditRecord).where(AuditRecord.action == "password_rotated")).all()
    assert len(after) == len(rotations) + 1  # one reset, however often reloaded

    event = post_form(
        clerk, f"{case_url}/events", kind="service", occurred_on="2026-02-03", description="送达"
    )
    assert event.status_code == 303
    assert clerk.get(event.headers["location"]).status_code == 200


def test_a_slip_is_only_for_the_session_that_made_it(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    added = post_form(clerk, f"/staff/cases/{portal.world.case_a}/parties", name="丁", role="第三人")
    other = portal.staff("clerk-a")  # the same clerk signed in elsewhere
    refused = other.get(added.headers["location"])
    assert refused.status_code == 404 and "重置查询密码" in refused.text
    assert clerk.get(added.headers["location"]).status_code == 200  # the other's attempt took nothing


def test_a_refused_party_form_keeps_what_was_typed(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    case_url = f"/staff/cases/{portal.world.case_a}"
    before = party_ids(clerk, case_url)
    refused = post_form(clerk, f"{case_url}/parties", name="戊有限公司", role="\u200b")
    assert refused.status_code == 422 and "诉讼地位" in refused.text
    assert 'value="戊有限公司"' in refused.text
    assert party_ids(clerk, case_url) == before


def _audit_count(portal: Portal) -> int:
    with portal.db_factory() as db:
        return len(db.scalars(select(AuditRecord.seq)).all())


def test_every_staff_form_redirects_and_its_page_reloads_without_change(portal: Portal) -> None:
    """Each form that changes something answers 303 (one audit entry per change); loading the page it
    lands on again and again changes nothing: no new record, no new audit entry."""
    clerk = portal.staff("clerk-a")
    start = portal.clock.now() + timedelta(days=9)
    moved = start + timedelta(days=1)

    def submit(url: str, *, audited: bool = True, **fields: str) -> str:
        before = _audit_count(portal)
        response = post_form(clerk, url, **fields)
        assert response.status_code == 303, (url, response.text[:300])
        assert not audited or _audit_count(portal) > before, url  # it did change something
        return str(response.headers["location"])

    filed = submit("/staff/cases", **case_fields(portal, number="(2026) 京0101民初88号"))
    case_id = int(filed.rsplit("/", 1)[1])
    landings = [
        filed,
        submit(f"/staff/cases/{case_id}/parties", name="甲公司", role="原告"),
        submit(  # procedure events are not audited (they are the case file's own record)
            f"/staff/cases/{case_id}/events",
            audited=False,
            kind="service",
            occurred_on="2026-02-03",
            description="送达",
        ),
    ]
    hearing = submit(
        f"/staff/cases/{case_id}/hearings",
        courtroom_id=str(portal.world.room_a),
        starts_at=local_input(portal, start),
        expected_end_at=local_input(portal, start + timedelta(hours=2)),
        public="yes",
    )
    hearing_id = hearing.rsplit("/", 1)[1]
    landings += [
        hearing,
        submit(f"/staff/hearings/{hearing_id}/notice"),
        submit(
            f"/staff/hearings/{hearing_id}/reschedule",
            starts_at=local_input(portal, moved),
            expected_end_at=local_input(portal, moved + timedelta(hours=2)),
        ),
        submit(f"/staff/hearings/{hearing_id}/cancel", reason="原告撤诉"),
    ]
    with portal.db_factory() as db:
        stored = db.scalars(select(Case.number).where(Case.id == case_id)).one()
    assert stored == "（2026）京0101民初88号"  # filed in the official spelling
    settled = _audit_count(portal)
    for landing in landings:
        shown_once = "/password-slips/" in landing  # a secret's slip: shown once, then 410 saying so
        for reload in range(2):  # the browser reloads the page the form landed on
            expected = 410 if shown_once and reload else 200
            assert clerk.get(landing).status_code == expected, landing
    assert _audit_count(portal) == settled
    assert len(party_ids(clerk, filed)) == 1
    with portal.db_factory() as db:
        assert len(db.scalars(select(CaseEvent.id).where(CaseEvent.case_id == case_id)).all()) == 1
