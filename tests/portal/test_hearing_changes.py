"""Changing a scheduled hearing through the JSON API: cancel (reason; the notice shows 取消 on the public
pages and STATUS:CANCELLED in the feed), reschedule (the republished notice meets the three-day rule or
records an exception, flagged in compliance), public or not (reason) and face masking; who may do it;
every change audited."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from icalendar import Calendar
from sqlalchemy import select

from portal.models import AuditRecord
from tests.portal.conftest import Browser, Portal
from tests.portal.world import CASE_A

BASIS = "《民事诉讼法》第一百零三条 诉前保全案件，情况紧急"
REASON = "涉及未成年人，依法不公开审理"


def _times(start: datetime, hours: float = 2) -> dict[str, str]:
    return {"starts_at": start.isoformat(), "expected_end_at": (start + timedelta(hours=hours)).isoformat()}


def _schedule(clerk: Browser, portal: Portal, *, days: float, **extra: Any) -> dict[str, Any]:
    body = {"case_id": portal.world.case_a, "courtroom_id": portal.world.room_a}
    body |= _times(portal.clock.now() + timedelta(days=days)) | extra
    response = clerk.post("/api/hearings", body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _audit(portal: Portal, hearing_id: int) -> list[tuple[str, str]]:
    with portal.db_factory() as db:
        rows = db.execute(
            select(AuditRecord.action, AuditRecord.detail)
            .where(AuditRecord.target == f"hearing:{hearing_id}")
            .order_by(AuditRecord.seq)
        )
        return [(action, detail) for action, detail in rows]


def _event(portal: Portal, notice_id: int) -> Any:
    calendar = Calendar.from_ical(portal.client().get("/notices.ics").content)
    [event] = [e for e in calendar.walk("VEVENT") if str(e["UID"]).startswith(f"notice-{notice_id}@")]
    return event


def test_cancelling_needs_a_reason_and_the_notice_shows_it_cancelled(portal: Portal) -> None:
    world, clerk, anonymous = portal.world, portal.staff("clerk-a"), portal.client()
    assert "已取消" not in anonymous.get("/notices").text  # cached for visitors: the change must show anyway
    assert str(_event(portal, world.notice_a)["STATUS"]) == "CONFIRMED"
    assert clerk.post(f"/api/hearings/{world.hearing_a}/cancel", {}).status_code == 422
    assert clerk.post(f"/api/hearings/{world.hearing_a}/cancel", {"reason": "   "}).status_code == 422

    cancelled = clerk.post(f"/api/hearings/{world.hearing_a}/cancel", {"reason": "原告撤诉"})
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelled" and body["cancel_reason"] == "原告撤诉"
    assert body["cancelled_at"] is not None and body["notice_id"] == world.notice_a

    page = anonymous.get(f"/notices/{world.notice_a}")
    assert page.status_code == 200 and "取消" in page.text and "原告撤诉" not in page.text
    listed = anonymous.get("/notices").text
    assert CASE_A in listed and "已取消" in listed
    [notice] = anonymous.get("/api/notices").json()["notices"]
    assert notice["cancelled"] is True
    event = _event(portal, world.notice_a)
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1

    assert clerk.post(f"/api/hearings/{world.hearing_a}/cancel", {"reason": "再次取消"}).status_code == 409
    assert clerk.post(f"/api/hearings/{world.hearing_a}/openness", {"is_public": True}).status_code == 409
    actions = [action for action, _ in _audit(portal, world.hearing_a)]
    assert actions[-1] == "hearing_cancelled"
    assert "原告撤诉" in _audit(portal, world.hearing_a)[-1][1]


def test_a_cancelled_notice_leaves_the_list_when_its_hearing_would_have_ended(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    assert (
        clerk.post(f"/api/hearings/{portal.world.hearing_a}/cancel", {"reason": "原告撤诉"}).status_code
        == 200
    )
    portal.clock.advance(timedelta(days=5, hours=2, minutes=1))
    assert portal.client().get("/api/notices").json()["notices"] == []


def test_moving_a_hearing_republishes_its_notice_under_the_three_day_rule(portal: Portal) -> None:
    world, clerk = portal.world, portal.staff("clerk-a")
    soon = _times(portal.clock.now() + timedelta(days=2))
    refused = clerk.post(f"/api/hearings/{world.hearing_a}/reschedule", soon)
    assert refused.status_code == 409 and "三日前" in refused.json()["detail"]
    unchanged = clerk.get(f"/api/hearings/{world.hearing_a}").json()
    assert datetime.fromisoformat(unchanged["starts_at"]) == portal.clock.now() + timedelta(days=5)

    moved = clerk.post(f"/api/hearings/{world.hearing_a}/reschedule", soon | {"exception_basis": BASIS})
    assert moved.status_code == 200, moved.text
    [notice] = portal.client().get("/api/notices").json()["notices"]
    assert datetime.fromisoformat(notice["starts_at"]) == portal.clock.now() + timedelta(days=2)
    assert notice["published_late_under_exception"] is True
    report = clerk.get("/api/compliance").json()
    assert [(n["hearing_id"], n["exception_basis"]) for n in report["late_notices"]] == [
        (world.hearing_a, BASIS)
    ]
    assert int(_event(portal, world.notice_a)["SEQUENCE"]) == 1

    later = clerk.post(
        f"/api/hearings/{world.hearing_a}/reschedule", _times(portal.clock.now() + timedelta(days=10))
    )
    assert later.status_code == 200  # on time again: no exception needed, none recorded
    assert clerk.get("/api/compliance").json()["late_notices"] == []
    assert int(_event(portal, world.notice_a)["SEQUENCE"]) == 2
    details = [
        detail for action, detail in _audit(portal, world.hearing_a) if action == "hearing_rescheduled"
    ]
    assert len(details) == 2 and BASIS in details[0] and '"late":false' in details[1]


def test_without_a_notice_the_rule_waits_for_publication(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    hearing = _schedule(clerk, portal, days=10)["id"]
    moved = clerk.post(f"/api/hearings/{hearing}/reschedule", _times(portal.clock.now() + timedelta(days=1)))
    assert moved.status_code == 200, moved.text
    assert clerk.post(f"/api/hearings/{hearing}/notice", {}).status_code == 409
    bad = _times(portal.clock.now() + timedelta(days=4), hours=-1)
    assert clerk.post(f"/api/hearings/{hearing}/reschedule", bad).status_code == 422
    past = _times(portal.clock.now() - timedelta(hours=1))
    assert clerk.post(f"/api/hearings/{hearing}/reschedule", past).status_code == 422


def test_a_hearing_that_has_started_cannot_be_moved(portal: Portal) -> None:
    portal.clock.advance(timedelta(days=5, minutes=1))
    clerk = portal.staff("clerk-a")
    later = _times(portal.clock.now() + timedelta(days=7))
    refused = clerk.post(f"/api/hearings/{portal.world.hearing_a}/reschedule", later)
    assert refused.status_code == 409 and "已经开始" in refused.json()["detail"]


def test_publicity_and_masking_changes_are_checked_and_audited(portal: Portal) -> None:
    world, clerk = portal.world, portal.staff("clerk-a")
    url = f"/api/hearings/{world.hearing_a}/openness"
    assert clerk.post(url, {"is_public": False}).status_code == 422
    assert (
        clerk.post(url, {"is_public": False, "non_public_reason": "不公开"}).status_code == 422
    )  # too short
    closed = clerk.post(url, {"is_public": False, "non_public_reason": REASON})
    assert closed.status_code == 200, closed.text
    assert closed.json()["is_public"] is False and closed.json()["mask_faces"] is False
    public = portal.client().get(f"/api/notices/{world.notice_a}").json()
    assert public["is_public"] is False and public["parties"] == [] and public["non_public_reason"] == REASON

    masked = clerk.post(url, {"is_public": True, "mask_faces": True})
    assert masked.status_code == 200
    assert masked.json()["is_public"] is True and masked.json()["non_public_reason"] is None
    assert clerk.get(f"/api/hearings/{world.hearing_a}").json()["mask_faces"] is True
    assert clerk.post(url, {"is_public": True, "mask_faces": True}).status_code == 200  # no change: no record
    actions = [action for action, _ in _audit(portal, world.hearing_a)]
    assert actions[-3:] == [
        "hearing_publicity_changed",
        "hearing_publicity_changed",
        "hearing_masking_changed",
    ]


def test_the_mask_flag_is_set_when_scheduling(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    hearing = _schedule(clerk, portal, days=6, mask_faces=True)
    assert hearing["mask_faces"] is True
    assert clerk.get(f"/api/hearings/{hearing['id']}").json()["mask_faces"] is True
    assert _schedule(clerk, portal, days=7)["mask_faces"] is False


def test_only_the_courts_clerks_change_hearings(portal: Portal) -> None:
    hearing = portal.world.hearing_a
    changes = {
        f"/api/hearings/{hearing}/cancel": {"reason": "原告撤诉"},
        f"/api/hearings/{hearing}/reschedule": _times(portal.clock.now() + timedelta(days=9)),
        f"/api/hearings/{hearing}/openness": {"is_public": False, "non_public_reason": REASON},
    }
    judge, other, party = (
        portal.staff("judge-a"),
        portal.staff("clerk-b"),
        portal.party(CASE_A, portal.world.password_a),
    )
    clerk, anonymous = portal.staff("clerk-a"), portal.client()
    for url, body in changes.items():
        assert judge.post(url, body).status_code == 403, url
        assert other.post(url, body).status_code == 404, url
        assert party.post(url, body).status_code == 403, url
        assert anonymous.post(url, json=body).status_code == 401, url
        assert clerk.http.post(url, json=body).status_code == 403, url  # no CSRF header
    assert other.get(f"/api/hearings/{hearing}").status_code == 404
    assert party.get(f"/api/hearings/{hearing}").status_code == 403
    assert judge.get(f"/api/hearings/{hearing}").json()["status"] == "scheduled"
    assert [a for a, _ in _audit(portal, hearing)] == ["hearing_scheduled", "notice_published"]
