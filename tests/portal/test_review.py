"""Review of recordings: apply, approve/reject, play via HLS with presigned segment URLs, revoke,
expire, audit."""

from __future__ import annotations

import hashlib
import urllib.request
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from portal.models import AuditRecord
from tests.portal.conftest import Browser, Portal
from tests.portal.visible_text import visible_text
from tests.portal.world import CASE_A, REC_A


def _apply(party: Browser, recording: str = REC_A) -> int:
    response = party.post("/api/my-case/reviews", {"recording_id": recording, "purpose": "核对庭审笔录"})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _grant(portal: Portal, party: Browser, *, hours: float = 2, start: float = 0, by: str = "judge-a") -> int:
    request_id = _apply(party)
    now = portal.clock.now()
    window = {
        "not_before": (now + timedelta(hours=start)).isoformat(),
        "not_after": (now + timedelta(hours=start + hours)).isoformat(),
    }
    response = portal.staff(by).post(f"/api/reviews/{request_id}/approve", window)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _actions(portal: Portal) -> list[str]:
    with portal.db_factory() as db:
        return list(db.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))


def _segment_lines(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def test_apply_approve_and_play(portal: Portal) -> None:
    party = portal.party(CASE_A, portal.world.password_a)
    grant = _grant(portal, party)
    page = party.get(f"/review/grants/{grant}")
    assert page.status_code == 200
    assert "张三" in page.text and f"G{grant}" in page.text and 'id="watermark"' in page.text
    assert "第一法庭 摄像机 1" in visible_text(page.text) and REC_A not in visible_text(page.text)
    assert "download" not in page.text.replace("nodownload", "")
    assert page.headers["cache-control"].startswith("no-store")
    playlist = party.get(f"/review/grants/{grant}/playlist.m3u8")
    assert playlist.status_code == 200
    assert playlist.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    text = playlist.text
    assert text.startswith("#EXTM3U\n#EXT-X-VERSION:7\n") and text.rstrip().endswith("#EXT-X-ENDLIST")
    assert f'#EXT-X-MAP:URI="/review/grants/{grant}/objects/synthetic-1/init.mp4"' in text
    assert text.count("#EXTINF:") == len(_segment_lines(text)) >= 3
    first = _segment_lines(text)[0]
    redirect = party.get(first)
    assert redirect.status_code == 302 and redirect.headers["cache-control"].startswith("no-store")
    url = redirect.headers["location"]
    query = parse_qs(urlsplit(url).query)
    assert int(query["X-Amz-Expires"][0]) <= 120
    assert urlsplit(url).path.endswith("/synthetic-1/00000001.m4s")
    with urllib.request.urlopen(url, timeout=10) as response:
        data = response.read()
    assert hashlib.sha256(data).hexdigest() == response.headers["x-amz-meta-sha256"]
    assert party.get(f"/review/grants/{grant}/objects/synthetic-1/init.mp4").status_code == 302
    actions = _actions(portal)
    for expected in ["review_applied", "review_approved", "playback_started", "segment_issued"]:
        assert expected in actions
    assert actions.count("segment_issued") == 2
    with portal.db_factory() as db:
        issued = db.scalars(select(AuditRecord).where(AuditRecord.action == "segment_issued")).first()
    assert (
        issued is not None and "X-Amz-Signature" not in issued.detail
    )  # URLs are bearer tokens: never logged


def test_objects_outside_the_recording_are_not_issued(portal: Portal) -> None:
    party = portal.party(CASE_A, portal.world.password_a)
    grant = _grant(portal, party)
    for tail in [
        "synthetic-1/00000099.m4s",
        "synthetic-1/journal.jsonl",
        "other/00000001.m4s",
        "synthetic-1/..%2F..%2Fjournal%2F000001.jsonl",
        "journal/000001.jsonl",
    ]:
        assert party.get(f"/review/grants/{grant}/objects/{tail}").status_code == 404, tail
    assert party.get(f"/review/grants/{grant}/playlist.m3u8", params={"stream": "nope"}).status_code == 404


def test_revocation_stops_new_segment_urls_at_once(portal: Portal) -> None:
    party = portal.party(CASE_A, portal.world.password_a)
    grant = _grant(portal, party)
    segments = _segment_lines(party.get(f"/review/grants/{grant}/playlist.m3u8").text)
    assert party.get(segments[0]).status_code == 302
    clerk = portal.staff("clerk-a")
    assert clerk.post(f"/api/grants/{grant}/revoke", {"reason": "当事人申请撤回"}).status_code == 200
    assert party.get(segments[1]).status_code == 403
    assert party.get(f"/review/grants/{grant}/playlist.m3u8").status_code == 403
    assert party.get(f"/review/grants/{grant}").status_code == 403
    assert clerk.post(f"/api/grants/{grant}/revoke", {"reason": "again"}).status_code == 409
    assert "grant_revoked" in _actions(portal)
    listed = party.get("/api/my-case/recordings").json()[0]
    assert listed["grant_revoked"] is True


def test_window_is_enforced(portal: Portal) -> None:
    party = portal.party(CASE_A, portal.world.password_a)
    grant = _grant(portal, party, hours=1, start=0.5)
    assert party.get(f"/review/grants/{grant}/playlist.m3u8").status_code == 403  # not yet
    portal.clock.advance(timedelta(minutes=31))
    party = portal.party(CASE_A, portal.world.password_a)
    segments = _segment_lines(party.get(f"/review/grants/{grant}/playlist.m3u8").text)
    portal.clock.advance(timedelta(minutes=29))
    assert party.get(segments[0]).status_code == 302
    portal.clock.advance(timedelta(minutes=29))
    assert party.get(segments[0]).status_code == 302
    portal.clock.advance(timedelta(minutes=1))
    assert party.get(segments[1]).status_code == 403  # the window has ended


def test_rejection_carries_a_reason(portal: Portal) -> None:
    party = portal.party(CASE_A, portal.world.password_a)
    request_id = _apply(party)
    assert (
        party.post("/api/my-case/reviews", {"recording_id": REC_A, "purpose": "再次申请"}).status_code == 409
    )
    clerk = portal.staff("clerk-a")
    assert clerk.post(f"/api/reviews/{request_id}/reject", {"reason": ""}).status_code == 422
    rejected = clerk.post(f"/api/reviews/{request_id}/reject", {"reason": "申请理由不充分"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    mine = party.get(f"/api/my-case/reviews/{request_id}").json()
    assert mine["status"] == "rejected" and mine["decision_reason"] == "申请理由不充分"
    assert "申请理由不充分" in party.get("/my-case").text
    now = portal.clock.now()
    window = {"not_before": now.isoformat(), "not_after": (now + timedelta(hours=1)).isoformat()}
    assert clerk.post(f"/api/reviews/{request_id}/approve", window).status_code == 409
    assert "review_rejected" in _actions(portal)


def test_who_may_decide(portal: Portal) -> None:
    party = portal.party(CASE_A, portal.world.password_a)
    request_id = _apply(party)
    now = portal.clock.now()
    window = {"not_before": now.isoformat(), "not_after": (now + timedelta(hours=1)).isoformat()}
    assert party.post(f"/api/reviews/{request_id}/approve", window).status_code == 403
    assert portal.staff("operator-a").post(f"/api/reviews/{request_id}/approve", window).status_code == 403
    assert portal.staff("clerk-b").post(f"/api/reviews/{request_id}/approve", window).status_code == 404
    long = {"not_before": now.isoformat(), "not_after": (now + timedelta(days=31)).isoformat()}
    assert portal.staff("judge-a").post(f"/api/reviews/{request_id}/approve", long).status_code == 422
    backwards = {"not_before": now.isoformat(), "not_after": (now - timedelta(hours=1)).isoformat()}
    assert portal.staff("judge-a").post(f"/api/reviews/{request_id}/approve", backwards).status_code == 422
    naive = {"not_before": "2026-01-01T00:00:00", "not_after": "2026-01-02T00:00:00"}
    assert portal.staff("judge-a").post(f"/api/reviews/{request_id}/approve", naive).status_code == 422
    assert portal.staff("judge-a").post(f"/api/reviews/{request_id}/approve", window).status_code == 201


def test_staff_forms_decide_and_revoke(portal: Portal) -> None:
    party = portal.party(CASE_A, portal.world.password_a)
    request_id = _apply(party)
    clerk = portal.staff("clerk-a")
    page = clerk.get("/staff/reviews")
    assert page.status_code == 200 and f'data-request="{request_id}"' in page.text
    assert REC_A not in visible_text(page.text) and "第一法庭" in visible_text(page.text)  # date and room
    assert f'title="录像编号 {REC_A}"' in page.text  # the id stays for court IT, in the tooltip
    assert (
        clerk.http.post(
            f"/staff/reviews/{request_id}/approve", data={"hours": "3", "csrf_token": "bad"}
        ).status_code
        == 403
    )
    approved = clerk.http.post(
        f"/staff/reviews/{request_id}/approve", data={"hours": "3", "csrf_token": clerk.csrf}
    )
    assert approved.status_code == 303
    grants = clerk.get("/api/grants").json()
    assert len(grants) == 1 and grants[0]["party_name"] == "张三"
    assert "观看录像" in party.get("/my-case").text
    revoked = clerk.http.post(
        f"/staff/grants/{grants[0]['id']}/revoke", data={"reason": "撤销", "csrf_token": clerk.csrf}
    )
    assert revoked.status_code == 303
    assert party.get(f"/review/grants/{grants[0]['id']}/playlist.m3u8").status_code == 403


def test_party_applies_with_the_form(portal: Portal) -> None:
    party = portal.party(CASE_A, portal.world.password_a)
    page = party.get("/my-case")
    assert "申请查阅" in page.text
    assert REC_A not in visible_text(page.text) and "第一法庭" in visible_text(page.text)
    response = party.http.post(
        f"/my-case/recordings/{REC_A}/apply", data={"purpose": "核对", "csrf_token": party.csrf}
    )
    assert response.status_code == 303
    assert "申请审核中" in party.get("/my-case").text
    assert (
        party.http.post(
            f"/my-case/recordings/{REC_A}/apply", data={"purpose": "核对", "csrf_token": "x"}
        ).status_code
        == 403
    )
