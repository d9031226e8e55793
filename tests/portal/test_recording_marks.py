"""What the clerk journaled shows in the portal: every gap of a hearing's recordings is listed on the
hearing, the presiding judge (only) explains it, signed and audited, superseding never editing; the
explanation shows on playback and in the compliance report; the players show pauses, notes, gaps and
readiness checks; a sealed span is withheld from a party's grant unless a judge included it.

The recordings are the session's real ``rec-a1`` media with journals written anew by the real
JournalWriter (``tests/portal/clerk_recording``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from archive.journal import (
    GapEvent,
    NoteEvent,
    NoteKind,
    PauseEvent,
    PauseReason,
    ReadinessCheck,
    ReadinessEvent,
    ReadinessItem,
    ResumeEvent,
    SealBeginEvent,
    SealEndEvent,
)
from archive.store import ObjectStore
from portal.db import transaction
from portal.identity.accounts import create_user
from portal.models import AuditRecord, GapExplanation, Hearing, Role
from tests.portal.clerk_recording import Segment, at, index_recording, source_segments, write_clerk_recording
from tests.portal.conftest import Browser, Portal, Template, open_portal
from tests.portal.served import ServedApp, Visitor
from tests.portal.world import CASE_A, STAFF_PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
GAPS = "rec-a2"  # notes, a readiness check, a pause and a fault gap
SEALED = "rec-a3"  # a sealed span over the second segment of each stream


@dataclass(frozen=True)
class ClerkRecordings:
    segments: list[Segment]

    @property
    def camera(self) -> list[Segment]:
        first = self.segments[0].stream
        return [s for s in self.segments if s.stream == first]


@pytest.fixture(scope="session")
def clerk_recordings(
    recording_store: ObjectStore, tmp_path_factory: pytest.TempPathFactory
) -> ClerkRecordings:
    segments = source_segments(recording_store)
    streams = sorted({s.stream for s in segments})
    camera = [s for s in segments if s.stream == segments[0].stream]
    assert len(camera) >= 3, camera
    first, second, third = camera[:3]
    work = tmp_path_factory.mktemp("clerk-recordings")
    readiness = ReadinessEvent(
        (
            ReadinessCheck(
                ReadinessItem.CAMERA, ok=True, detail="画面正常", stream=first.stream, confirmed=True
            ),
        ),
        "书记员甲",
    )
    write_clerk_recording(
        recording_store,
        GAPS,
        [
            (at(first, 0.1), readiness),
            (at(second, 1.0), NoteEvent(NoteKind.SPEAKER, "原告代理人发言", "书记员甲")),
            (at(second, 1.4), PauseEvent("休庭", PauseReason.RECESS, "书记员甲")),
            (at(third, 0.2), ResumeEvent("继续开庭", "书记员甲")),
            *[
                (
                    at(third, 0.9),
                    GapEvent(
                        name,
                        at(third, 0.3).isoformat(),
                        at(third, 0.8).isoformat(),
                        "source gave no frames",
                        0.5,
                    ),
                )
                for name in streams
            ],
        ],
        work,
    )
    write_clerk_recording(
        recording_store,
        SEALED,
        [
            (at(second, 0.5), SealBeginEvent("不公开质证的证据", "书记员甲")),
            (at(second, 0.8), NoteEvent(NoteKind.EXHIBIT, "证人甲的证言（封存）", "书记员甲")),
            (at(second, 1.5), SealEndEvent("书记员甲")),
        ],
        work,
    )
    return ClerkRecordings(segments)


@pytest.fixture
def indexed(portal: Portal, clerk_recordings: ClerkRecordings) -> Iterator[ClerkRecordings]:
    """Both recordings indexed and linked to hearing A, which is moved to an hour ago (held)."""
    now = portal.clock.now()
    with transaction(portal.db_factory) as db:
        hearing = db.get(Hearing, portal.world.hearing_a)
        assert hearing is not None
        hearing.starts_at, hearing.expected_end_at = now - timedelta(hours=1), now - timedelta(minutes=5)
    for recording in (GAPS, SEALED):
        index_recording(
            portal.db_factory,
            portal.store,
            recording,
            now=portal.clock.now(),
            hearing_id=portal.world.hearing_a,
        )
    yield clerk_recordings


def _explain(browser: Browser, recording: str, key: int, text: str) -> Any:
    return browser.http.post(
        f"/staff/recordings/{recording}/gaps/{key}/explanation",
        data={"csrf_token": browser.csrf, "explanation": text},
    )


def _gap_keys(page: str) -> list[int]:
    return [int(part.split('"', 1)[0]) for part in page.split('data-gap="')[1:]]


def _audited(portal: Portal, action: str) -> list[AuditRecord]:
    with portal.db_factory() as db:
        return list(db.scalars(select(AuditRecord).where(AuditRecord.action == action)))


def test_the_presiding_judge_explains_a_gap_and_a_new_explanation_supersedes(
    portal: Portal, indexed: ClerkRecordings
) -> None:
    hearing = f"/staff/hearings/{portal.world.hearing_a}"
    judge, clerk = portal.staff("judge-a"), portal.staff("clerk-a")
    page = clerk.get(hearing)
    assert page.status_code == 200, page.text
    assert "录像中断及说明" in page.text and "设备故障" in page.text and "暂停录制" in page.text
    assert (
        "尚无法官说明" in page.text and "以本人账号签署说明" not in page.text
    )  # the clerk sees, cannot sign
    page = judge.get(hearing)
    assert "以本人账号签署说明" in page.text
    keys = _gap_keys(page.text.split(f"/staff/recordings/{GAPS}", 1)[1].split("<h3>", 1)[0])
    assert len(keys) == 2, keys  # the pause and the fault (one incident over all streams)
    fault = keys[-1]
    answer = _explain(judge, GAPS, fault, "摄像机电源松脱，已当庭恢复")
    assert answer.status_code == 303 and answer.headers["location"] == f"{hearing}#gaps"
    again = _explain(judge, GAPS, fault, "经查为摄像机电源线松脱，书记员当庭插回")
    assert again.status_code == 303
    with portal.db_factory() as db:
        rows = list(db.scalars(select(GapExplanation).order_by(GapExplanation.id)))
    assert [r.text for r in rows] == ["摄像机电源松脱，已当庭恢复", "经查为摄像机电源线松脱，书记员当庭插回"]
    assert rows[1].supersedes_id == rows[0].id and rows[0].supersedes_id is None  # both kept
    assert {r.judge_id for r in rows} == {portal.world.users["judge-a"]} and len(rows[0].gap_sha256) == 64
    audits = _audited(portal, "gap_explained")
    assert [a.target for a in audits] == [f"recording:{GAPS}"] * 2 and "judge-a" in audits[0].actor
    page = clerk.get(hearing).text
    assert "经查为摄像机电源线松脱" in page and "此前的说明（1）" in page and "已被取代" in page
    report = clerk.get("/staff/compliance").text
    title = report.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "录像中断" not in title  # the gap section is in the page, not its title
    assert (
        "法官说明：经查为摄像机电源线松脱，书记员当庭插回" in report and "尚无法官说明" in report
    )  # the pause
    api = clerk.get("/api/compliance").json()["recording_gaps"]
    assert sorted(g["explained"] for g in api if g["recording_id"] == GAPS) == [False, True]
    player = judge.get(f"/staff/recordings/{GAPS}").text
    assert "法官说明：经查为摄像机电源线松脱" in player
    # a gap the journal does not have, and text too short, are refused and store nothing
    assert _explain(judge, GAPS, 99999, "不存在的中断说明").status_code == 404
    assert _explain(judge, GAPS, fault, "短").status_code == 422
    assert (
        judge.http.post(
            f"/staff/recordings/{GAPS}/gaps/{fault}/explanation", data={"explanation": "没有令牌的说明"}
        ).status_code
        == 403
    )
    with portal.db_factory() as db:
        assert len(list(db.scalars(select(GapExplanation)))) == 2


@pytest.mark.parametrize("who", ["clerk-a", "judge-a2", "party", "clerk-b"])
def test_only_the_presiding_judge_may_explain(portal: Portal, indexed: ClerkRecordings, who: str) -> None:
    if who == "judge-a2":  # a judge of the same court, not of this case
        with transaction(portal.db_factory) as db:
            create_user(
                db,
                username="judge-a2",
                display_name="judge-a2",
                role=Role.JUDGE,
                password=STAFF_PASSWORD,
                now=portal.clock.now(),
                actor="test",
                court_id=portal.world.court_a,
                office_phone="010-1234 5678",
            )
    keys = _gap_keys(portal.staff("judge-a").get(f"/staff/hearings/{portal.world.hearing_a}").text)
    caller = portal.party(CASE_A, portal.world.password_a) if who == "party" else portal.staff(who)
    answer = _explain(caller, GAPS, keys[-1], "不是承办法官写的说明")
    assert answer.status_code == (404 if who == "clerk-b" else 403), answer.text
    assert "<html" in answer.text and ("无权访问" in answer.text or "未找到" in answer.text)
    with portal.db_factory() as db:
        assert list(db.scalars(select(GapExplanation))) == []


def test_the_players_show_pauses_notes_gaps_and_readiness(portal: Portal, indexed: ClerkRecordings) -> None:
    page = portal.staff("clerk-a").get(f"/staff/recordings/{GAPS}").text
    for text in ["暂停：休庭", "原告代理人发言", "中断：设备故障", "庭前检查通过", 'data-seek="']:
        assert text in page, text
    second = indexed.camera[1]
    assert f'data-seek="{second.position + 1.0:.3f}"' in page  # the note, 1 s into the second segment


def _grant(portal: Portal, recording: str, decider: str, *, include_sealed: bool) -> tuple[Browser, int]:
    party = portal.party(CASE_A, portal.world.password_a)
    applied = party.post("/api/my-case/reviews", json={"recording_id": recording, "purpose": "核对庭审笔录"})
    assert applied.status_code == 201, applied.text
    now = portal.clock.now()
    window = {"not_before": now.isoformat(), "not_after": (now + timedelta(hours=2)).isoformat()}
    granted = portal.staff(decider).post(
        f"/api/reviews/{applied.json()['id']}/approve", json={**window, "include_sealed": include_sealed}
    )
    assert granted.status_code == 201, granted.text
    return party, granted.json()["id"]


def _segments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_a_sealed_span_is_withheld_from_a_party_without_a_judges_permission(
    portal: Portal, indexed: ClerkRecordings
) -> None:
    stream = indexed.camera[0].stream
    sealed = f"{stream}/{indexed.camera[1].object.rsplit('/', 1)[1]}"
    party, grant = _grant(portal, SEALED, "clerk-a", include_sealed=False)
    route = f"/review/grants/{grant}"
    playlist = party.get(f"{route}/playlist.m3u8?stream={stream}").text
    assert f"{route}/objects/{sealed}" not in playlist and len(_segments(playlist)) == len(indexed.camera) - 1
    assert "#EXT-X-DISCONTINUITY" in playlist
    refused = party.get(f"{route}/objects/{sealed}")  # by URL, not through the playlist
    assert refused.status_code == 403 and "封存" in refused.text
    assert (
        party.get(f"{route}/objects/{stream}/{indexed.camera[0].object.rsplit('/', 1)[1]}").status_code == 302
    )
    page = party.get(route).text
    assert "已封存" in page and "证人甲的证言" not in page  # what was noted inside is sealed too
    staff = portal.staff("clerk-a")
    assert "封存部分" in staff.get(f"/staff/recordings/{SEALED}").text
    assert f"/objects/{sealed}" in staff.get(f"/staff/recordings/{SEALED}/playlist.m3u8?stream={stream}").text


def test_a_judge_may_include_the_sealed_span_and_a_clerk_may_not(
    portal: Portal, indexed: ClerkRecordings
) -> None:
    stream = indexed.camera[0].stream
    sealed = f"{stream}/{indexed.camera[1].object.rsplit('/', 1)[1]}"
    party = portal.party(CASE_A, portal.world.password_a)
    applied = party.post(
        "/api/my-case/reviews", json={"recording_id": SEALED, "purpose": "核对庭审笔录"}
    ).json()
    now = portal.clock.now()
    window = {"not_before": now.isoformat(), "not_after": (now + timedelta(hours=2)).isoformat()}
    clerk = portal.staff("clerk-a")
    assert "准许查阅封存部分" not in clerk.get("/staff/reviews").text  # the form offers it to judges only
    assert "准许查阅封存部分" in portal.staff("judge-a").get("/staff/reviews").text
    refused = clerk.post(f"/api/reviews/{applied['id']}/approve", json={**window, "include_sealed": True})
    assert refused.status_code == 403
    form = clerk.http.post(
        f"/staff/reviews/{applied['id']}/approve",
        data={"csrf_token": clerk.csrf, "hours": "2", "include_sealed": "true"},
    )
    assert form.status_code == 403 and "只有法官可以准许查阅封存部分" in form.text
    granted = portal.staff("judge-a").post(
        f"/api/reviews/{applied['id']}/approve", json={**window, "include_sealed": True}
    )
    assert granted.status_code == 201 and granted.json()["include_sealed"] is True
    route = f"/review/grants/{granted.json()['id']}"
    assert party.get(f"{route}/objects/{sealed}").status_code == 302
    assert f"{route}/objects/{sealed}" in party.get(f"{route}/playlist.m3u8?stream={stream}").text
    assert "封存部分" in party.get(route).text
    assert "含封存部分（法官准许）" in clerk.get("/staff/reviews").text
    [approval] = _audited(portal, "review_approved")
    assert '"include_sealed": true' in approval.detail.replace('":true', '": true')


@pytest.mark.integration
def test_in_chromium_the_notes_show_and_a_click_seeks_to_the_note(
    sqlite_template: Template,
    recording_store: ObjectStore,
    session_now: datetime,
    tmp_path: Path,
    clerk_recordings: ClerkRecordings,
    chromium: Any,
) -> None:
    expected = clerk_recordings.camera[1].position + 1.0  # the note, 1 s into the second segment
    development = {"environment": "development", "portal_cookie_secure": False}
    with open_portal(sqlite_template, recording_store, session_now, tmp_path, **development) as portal:
        index_recording(
            portal.db_factory, portal.store, GAPS, now=session_now, hearing_id=portal.world.hearing_a
        )
        with ServedApp(portal.app) as server:
            party = Visitor(server.url).sign_in("party", CASE_A, portal.world.password_a)
            applied = party.post(
                "/api/my-case/reviews", json={"recording_id": GAPS, "purpose": "核对庭审笔录"}
            )
            judge = Visitor(server.url).sign_in("staff", "judge-a", STAFF_PASSWORD)
            window = {
                "not_before": session_now.isoformat(),
                "not_after": (session_now + timedelta(hours=2)).isoformat(),
            }
            grant = judge.post(f"/api/reviews/{applied.json()['id']}/approve", json=window).json()["id"]
            party.close()
            judge.close()
            page = chromium.new_page(viewport={"width": 1280, "height": 900})
            try:
                _sign_in(page, f"{server.url}/login", "judge-a", STAFF_PASSWORD, f"{server.url}/staff")
                _seeks_to_the_note(page, f"{server.url}/staff/recordings/{GAPS}", expected)
                page.context.clear_cookies()
                _sign_in(
                    page, f"{server.url}/case-login", CASE_A, portal.world.password_a, f"{server.url}/my-case"
                )
                _seeks_to_the_note(page, f"{server.url}/review/grants/{grant}", expected)
            except Exception:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "portal-timeline-marks-FAILED.png"), full_page=True)
                raise
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "portal-timeline-marks.png"), full_page=True)


def _sign_in(page: Any, login: str, identifier: str, password: str, landing: str) -> None:
    page.goto(login)
    page.fill("input[name=identifier]", identifier)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(landing)


def _seeks_to_the_note(page: Any, url: str, expected: float) -> None:
    page.goto(url)
    note = page.locator(".mark-list li[data-kind=note]", has_text="原告代理人发言")
    assert note.count() == 1 and "发言" in note.inner_text()
    assert page.locator(".mark-list li[data-kind=pause]", has_text="暂停：休庭").count() == 1
    assert page.locator(".mark-bar .mark-note").evaluate("m => m.style.left") != ""  # placed from script
    page.wait_for_function("() => document.getElementById('video').readyState >= 1", timeout=30000)
    assert page.evaluate("() => document.getElementById('video').currentTime") < expected - 1
    note.locator("button.seek").click()
    page.wait_for_function(
        f"() => Math.abs(document.getElementById('video').currentTime - {expected}) < 1", timeout=15000
    )
