"""Hearing notices: the three-day rule with recorded exceptions, public pages, JSON and iCalendar."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar

from tests.portal.conftest import Portal
from tests.portal.world import CASE_A, CASE_B


def _schedule(portal: Portal, *, days: float, public: bool = True, reason: str | None = None) -> int:
    clerk = portal.staff("clerk-a")
    start = portal.clock.now() + timedelta(days=days)
    response = clerk.post(
        "/api/hearings",
        {
            "case_id": portal.world.case_a,
            "courtroom_id": portal.world.room_a,
            "starts_at": start.isoformat(),
            "expected_end_at": (start + timedelta(hours=2)).isoformat(),
            "is_public": public,
            "non_public_reason": reason,
        },
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_notice_published_three_days_ahead_is_accepted(portal: Portal) -> None:
    hearing = _schedule(portal, days=3, public=True)
    portal.clock.advance(timedelta(seconds=-1))  # one second before the deadline
    response = portal.staff("clerk-a").post(f"/api/hearings/{hearing}/notice", {})
    assert response.status_code == 201, response.text
    assert response.json()["late_exception_basis"] is None


def test_late_notice_is_refused_with_a_clear_error(portal: Portal) -> None:
    hearing = _schedule(portal, days=2.5)
    clerk = portal.staff("clerk-a")
    response = clerk.post(f"/api/hearings/{hearing}/notice", {})
    assert response.status_code == 409
    assert "三日前" in response.json()["detail"]
    assert "例外的法律依据" in response.json()["detail"] and "（北京时间）" in response.json()["detail"]
    too_short = clerk.post(f"/api/hearings/{hearing}/notice", {"exception_basis": "急"})
    assert too_short.status_code == 409
    public = portal.client().get("/api/notices").json()["notices"]
    assert hearing not in [n["hearing_id"] for n in public]


def test_late_notice_with_legal_basis_is_published_and_flagged(portal: Portal) -> None:
    hearing = _schedule(portal, days=1)
    clerk = portal.staff("clerk-a")
    basis = "《民事诉讼法》第一百零三条 诉前保全案件，情况紧急"
    response = clerk.post(f"/api/hearings/{hearing}/notice", {"exception_basis": basis})
    assert response.status_code == 201, response.text
    assert response.json()["late_exception_basis"] == basis
    notices = portal.client().get("/api/notices").json()["notices"]
    flagged = [n for n in notices if n["hearing_id"] == hearing]
    assert flagged and flagged[0]["published_late_under_exception"] is True
    report = clerk.get("/api/compliance").json()
    assert [n["hearing_id"] for n in report["late_notices"]] == [hearing]
    assert report["late_notices"][0]["exception_basis"] == basis
    page = clerk.get("/staff/compliance")
    assert page.status_code == 200 and basis in page.text
    again = clerk.post(f"/api/hearings/{hearing}/notice", {"exception_basis": basis})
    assert again.status_code == 409


def test_only_the_cases_clerk_publishes(portal: Portal) -> None:
    hearing = _schedule(portal, days=10)
    assert portal.staff("judge-a").post(f"/api/hearings/{hearing}/notice", {}).status_code == 403
    assert portal.staff("clerk-b").post(f"/api/hearings/{hearing}/notice", {}).status_code == 404
    assert (
        portal.party(CASE_A, portal.world.password_a).post(f"/api/hearings/{hearing}/notice", {}).status_code
        == 403
    )
    assert portal.client().post(f"/api/hearings/{hearing}/notice", json={}).status_code == 401
    clerk = portal.staff("clerk-a")
    assert clerk.http.post(f"/api/hearings/{hearing}/notice", json={}).status_code == 403  # no CSRF header


def test_non_public_hearing_needs_a_reason_and_hides_party_names(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    start = portal.clock.now() + timedelta(days=6)
    body = {
        "case_id": portal.world.case_a,
        "courtroom_id": portal.world.room_a,
        "starts_at": start.isoformat(),
        "expected_end_at": (start + timedelta(hours=1)).isoformat(),
        "is_public": False,
    }
    assert clerk.post("/api/hearings", body).status_code == 422
    hearing = _schedule(portal, days=6, public=False, reason="涉及个人隐私，依法不公开审理")
    notice = clerk.post(f"/api/hearings/{hearing}/notice", {}).json()
    public = portal.client().get(f"/api/notices/{notice['id']}").json()
    assert public["is_public"] is False and public["parties"] == [] and public["case_name"] is None
    assert public["non_public_reason"] == "涉及个人隐私，依法不公开审理"
    page = portal.client().get(f"/notices/{notice['id']}").text
    assert "张三" not in page and "不公开" in page


def test_public_pages_list_notices_by_court_and_date(portal: Portal) -> None:
    anon = portal.client()
    page = anon.get("/notices")
    assert page.status_code == 200
    assert 'name="viewport"' in page.text and 'lang="zh-CN"' in page.text
    assert CASE_A in page.text and "开庭公告" in page.text
    assert CASE_A not in anon.get("/notices", params={"court": "court-b"}).text
    day = (portal.clock.now() + timedelta(days=5)).astimezone(portal.app.state.portal.display_zone).date()
    assert CASE_A in anon.get("/notices", params={"date": day.isoformat()}).text
    assert CASE_A not in anon.get("/notices", params={"date": (day + timedelta(days=1)).isoformat()}).text
    detail = anon.get(f"/notices/{portal.world.notice_a}")
    assert detail.status_code == 200 and "第一法庭" in detail.text and "张三" in detail.text
    assert anon.get("/notices/999999").status_code == 404
    assert anon.get("/api/notices/999999").status_code == 404
    assert CASE_B not in page.text  # case B has no notice


def test_json_api_lists_upcoming_notices(portal: Portal) -> None:
    response = portal.client().get("/api/notices", params={"court": "court-a"})
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("public")
    (notice,) = response.json()["notices"]
    assert notice["case_number"] == CASE_A and notice["court_code"] == "court-a"
    assert notice["parties"] == ["原告：张三", "被告：李四"]
    portal.clock.advance(timedelta(days=6))  # after the hearing
    assert portal.client().get("/api/notices").json()["notices"] == []


def test_icalendar_feed_is_rfc5545(portal: Portal) -> None:
    response = portal.client().get("/notices.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    body = response.content
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    calendar = Calendar.from_ical(body)
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]).startswith(f"notice-{portal.world.notice_a}@")
    assert CASE_A in str(event["SUMMARY"])
    assert event.decoded("DTSTART") == portal.clock.now() + timedelta(days=5)
    assert "第一法庭" in str(event["LOCATION"])


def test_the_filter_form_submitted_with_empty_fields_lists_every_notice(portal: Portal) -> None:
    """A browser sends every field of the GET form (``court=&date=&q=``): empty means "any"."""
    visitor = portal.client()
    page = visitor.get("/notices", params={"court": "", "date": "", "q": ""})
    assert page.status_code == 200, page.text
    assert f'href="/notices/{portal.world.notice_a}"' in page.text
    refused = visitor.get("/notices", params={"date": "2026-13-01"})  # a wrong date is still refused
    assert refused.status_code == 422 and "日期" in refused.text
