"""Issue 10, low findings: extreme dates and invisible characters in what callers type.

Every date or time a caller sends (query strings, forms, JSON bodies, grant windows) is bounded to
years 2000..2100 and refused with 422 otherwise (never a 500 from an overflowing conversion); free
text (names, reasons, legal bases, purposes, descriptions) is NFKC-normalised, loses its format
characters (zero-width, bidi controls) and is refused when nothing is left.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.portal.conftest import AGENT_TOKEN, Browser, Portal
from tests.portal.world import CASE_A, REC_A

EXTREME_DAYS = ["0001-01-01", "9999-12-31"]
EXTREME_MOMENTS = ["0001-01-01T00:00:00+08:00", "9999-12-31T20:00:00-08:00"]
INVISIBLE = "\u200b\u202e\u2066\ufeff"  # zero-width space, right-to-left override, isolate, BOM


def _detail(response: Any) -> str:
    return str(response.json()["detail"])


@pytest.mark.parametrize("day", EXTREME_DAYS)
def test_extreme_dates_in_query_strings_are_422(portal: Portal, day: str) -> None:
    anonymous = portal.client()
    api = anonymous.get("/api/notices", params={"date": day})
    assert api.status_code == 422, api.text
    assert "2000" in _detail(api)
    page = anonymous.get("/notices", params={"date": day})
    assert page.status_code == 422, page.text
    assert page.headers["content-type"].startswith("text/html")  # a page, in Chinese, naming the field
    assert "输入有误" in page.text and "日期" in page.text and "2000" in page.text


def test_a_malformed_query_on_a_page_gets_a_chinese_page_and_json_on_the_api(portal: Portal) -> None:
    anonymous = portal.client()
    page = anonymous.get("/notices", params={"date": "not-a-date"})
    assert page.status_code == 422 and "格式不正确" in page.text and "detail" not in page.text
    api = anonymous.get("/api/notices", params={"date": "not-a-date"})
    assert api.status_code == 422 and api.json()["detail"][0]["loc"][-1] == "date"


@pytest.mark.parametrize("day", EXTREME_DAYS)
def test_extreme_dates_in_case_bodies_and_forms_are_422(portal: Portal, day: str) -> None:
    clerk = portal.staff("clerk-a")
    case_id = portal.world.case_a
    body = {"number": "（2026）京0101民初901号", "court_id": portal.world.court_a, "name": "某诉某纠纷"}
    filed = clerk.post("/api/cases", body | {"cause": "合同纠纷", "filing_date": day})
    assert filed.status_code == 422, filed.text
    event = clerk.post(
        f"/api/cases/{case_id}/events", {"kind": "service", "occurred_on": day, "description": "送达"}
    )
    assert event.status_code == 422, event.text
    form = {"csrf_token": clerk.csrf, "number": "（2026）京0101民初902号", "name": "某诉某纠纷"}
    page = clerk.http.post("/staff/cases", data=form | {"cause": "合同纠纷", "filing_date": day})
    assert page.status_code == 422, page.text
    assert "2000" in page.text
    event_form = {"csrf_token": clerk.csrf, "kind": "service", "occurred_on": day, "description": "送达"}
    page = clerk.http.post(f"/staff/cases/{case_id}/events", data=event_form)
    assert page.status_code == 422, page.text


@pytest.mark.parametrize("moment", EXTREME_MOMENTS)
def test_extreme_hearing_times_are_422(portal: Portal, moment: str) -> None:
    clerk = portal.staff("clerk-a")
    world = portal.world
    body = {"case_id": world.case_a, "courtroom_id": world.room_a}
    times = {"starts_at": moment, "expected_end_at": moment.replace("T00:00", "T02:00").replace("T20", "T22")}
    scheduled = clerk.post("/api/hearings", body | times)
    assert scheduled.status_code == 422, scheduled.text
    moved = clerk.post(f"/api/hearings/{world.hearing_a}/reschedule", times)
    assert moved.status_code == 422, moved.text
    local = {name: value[:16] for name, value in times.items()}
    form = {"csrf_token": clerk.csrf, "courtroom_id": str(world.room_a), "public": "yes"}
    page = clerk.http.post(f"/staff/cases/{world.case_a}/hearings", data=form | local)
    assert page.status_code == 422, page.text
    move_form = {"csrf_token": clerk.csrf, **local}
    page = clerk.http.post(f"/staff/hearings/{world.hearing_a}/reschedule", data=move_form)
    assert page.status_code == 422, page.text


@pytest.mark.parametrize("moment", EXTREME_MOMENTS)
def test_extreme_grant_windows_and_agent_reports_are_422(portal: Portal, moment: str) -> None:
    party = portal.party(CASE_A, portal.world.password_a)
    applied = party.post("/api/my-case/reviews", {"recording_id": REC_A, "purpose": "核对庭审笔录"})
    assert applied.status_code == 201, applied.text
    request_id = applied.json()["id"]
    judge = portal.staff("judge-a")
    window = {"not_before": moment, "not_after": moment.replace("T00:00", "T02:00").replace("T20", "T22")}
    approved = judge.post(f"/api/reviews/{request_id}/approve", window)
    assert approved.status_code == 422, approved.text
    report = {
        "recording_id": "rec-extreme",
        "court": "court-a",
        "room": "room-a",
        "segment_count": 1,
        "duration_seconds": 2.0,
        "started_at": moment,
    }
    reported = portal.client().post(
        "/api/agent/recordings", json=report, headers={"Authorization": f"Bearer {AGENT_TOKEN}"}
    )
    assert reported.status_code == 422, reported.text


def _case_parties(clerk: Browser, case_id: int) -> list[str]:
    return [p["name"] for p in clerk.get(f"/api/cases/{case_id}").json()["parties"]]


def test_invisible_only_text_is_refused(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    world = portal.world
    party = clerk.post(f"/api/cases/{world.case_a}/parties", {"name": INVISIBLE, "role": "原告"})
    assert party.status_code == 422, party.text
    cancelled = clerk.post(f"/api/hearings/{world.hearing_a}/cancel", {"reason": INVISIBLE})
    assert cancelled.status_code == 422, cancelled.text
    form = {"csrf_token": clerk.csrf, "name": INVISIBLE, "role": "原告"}
    page = clerk.http.post(f"/staff/cases/{world.case_a}/parties", data=form)
    assert page.status_code == 422, page.text
    applicant = portal.party(CASE_A, world.password_a)
    applied = applicant.post("/api/my-case/reviews", {"recording_id": REC_A, "purpose": INVISIBLE})
    assert applied.status_code == 422, applied.text
    assert INVISIBLE[0] not in str(_case_parties(clerk, world.case_a))


def test_text_is_stored_normalised(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    case_id = portal.world.case_a
    name = "王\u202e\u200b小明\uff21\uff22"  # bidi override, zero-width space, full-width A and B
    added = clerk.post(f"/api/cases/{case_id}/parties", {"name": name, "role": "第三人"})
    assert added.status_code == 201, added.text
    assert "王小明AB" in _case_parties(clerk, case_id)
    form = {"csrf_token": clerk.csrf, "name": "赵\u2066六\u2069", "role": "第三人"}
    assert clerk.http.post(f"/staff/cases/{case_id}/parties", data=form).status_code == 303
    assert "赵六" in _case_parties(clerk, case_id)
