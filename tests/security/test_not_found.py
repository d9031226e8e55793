"""Issue 10, low finding: "not there" and "not yours" read the same, whatever the kind of object.

A clerk of court B asking for court A's hearing must get exactly the answer of a hearing that does
not exist, and that answer is the same for cases, hearings, recordings, reviews and grants.
"""

from __future__ import annotations

from tests.portal.conftest import Portal
from tests.portal.world import CASE_B, REC_A

MISSING = 2_000_000_000


def test_one_answer_for_not_yours_and_not_there(portal: Portal) -> None:
    clerk_b = portal.staff("clerk-b")
    world = portal.world
    answers = {
        clerk_b.get(path).text
        for path in (
            f"/api/cases/{world.case_a}",
            f"/api/cases/{MISSING}",
            f"/api/hearings/{world.hearing_a}",
            f"/api/hearings/{MISSING}",
            f"/api/cases/{world.case_a}/events",
            f"/api/recordings/{REC_A}",
            "/api/recordings/rec-none",
        )
    }
    answers |= {
        clerk_b.post(path, {"reason": "理由充分"}).text
        for path in (
            f"/api/hearings/{world.hearing_a}/cancel",
            f"/api/hearings/{MISSING}/cancel",
            f"/api/grants/{MISSING}/revoke",
            f"/api/reviews/{MISSING}/reject",
        )
    }
    assert len(answers) == 1, answers
    pages = {
        clerk_b.get(path).text
        for path in (
            f"/staff/cases/{world.case_a}",
            f"/staff/hearings/{MISSING}",
            f"/staff/hearings/{world.hearing_a}",
        )
    }
    assert len(pages) == 1


def test_a_party_gets_the_same_answer(portal: Portal) -> None:
    party_b = portal.party(CASE_B, portal.world.password_b)
    answers = {
        party_b.get(path).text
        for path in (f"/api/my-case/reviews/{MISSING}", f"/review/grants/{MISSING}/playlist.m3u8")
    }
    staff = portal.staff("clerk-b").get(f"/api/hearings/{MISSING}").text
    assert answers == {staff}, (answers, staff)
