"""The staff pages for cases and hearings, driven as a browser would (forms with the session's CSRF
token): file a case, add parties (each access password shown once), schedule a hearing, publish its
notice under the three-day rule (a late one is refused and the exception form offered), cancel,
move, change publicity and masking. Another court's clerk gets 404; judges read only; parties,
operators and anonymous visitors are refused."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from portal.models import AuditRecord, Case, CaseEvent
from tests.portal.conftest import Browser, Portal
from tests.portal.world import CASE_A, CASE_B

NEW_CASE = "（2026）京0101民初77号"
BASIS = "《民事诉讼法》第一百零三条 诉前保全案件，情况紧急"
REASON = "涉及未成年人，依法不公开审理"


def _form(browser: Browser, url: str, **fields: str) -> Any:
    return browser.http.post(url, data={"csrf_token": browser.csrf, **fields})


def _local(portal: Portal, moment: datetime) -> str:
    return moment.astimezone(portal.app.state.portal.display_zone).strftime("%Y-%m-%dT%H:%M")


def _password(page: str) -> str:
    found = re.search(r'id="access-password">([^<]+)<', page)
    assert found, page
    return found.group(1)


def _case_fields(portal: Portal, **overrides: str) -> dict[str, str]:
    users = portal.world.users
    fields = {
        "number": NEW_CASE,
        "name": "甲公司诉乙公司买卖合同纠纷",
        "cause": "买卖合同纠纷",
        "filing_date": "2026-02-01",
        "panel": "审判长 judge-a",
        "judge_id": str(users["judge-a"]),
        "clerk_id": str(users["clerk-a"]),
    }
    return fields | overrides


def _schedule(portal: Portal, clerk: Browser, *, days: float, **overrides: str) -> int:
    start = portal.clock.now() + timedelta(days=days)
    fields = {
        "courtroom_id": str(portal.world.room_a),
        "starts_at": _local(portal, start),
        "expected_end_at": _local(portal, start + timedelta(hours=2)),
        "public": "yes",
    } | overrides
    response = _form(clerk, f"/staff/cases/{portal.world.case_a}/hearings", **fields)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_a_clerk_files_a_case_and_hands_out_passwords_once(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    assert 'href="/staff/cases"' in clerk.get("/staff").text
    listed = clerk.get("/staff/cases").text
    assert CASE_A in listed and CASE_B not in listed
    form = clerk.get("/staff/cases/new")
    assert form.status_code == 200 and clerk.csrf in form.text and "010-1234 5678" in form.text
    assert clerk.http.post("/staff/cases", data=_case_fields(portal)).status_code == 403  # no CSRF token

    malformed = _form(clerk, "/staff/cases", **_case_fields(portal, number="2026民初77"))
    assert malformed.status_code == 422 and "（2026）京0105民初1234号" in malformed.text
    assert "甲公司诉乙公司买卖合同纠纷" in malformed.text  # what was typed is kept
    other_judge = _form(
        clerk, "/staff/cases", **_case_fields(portal, judge_id=str(portal.world.users["clerk-b"]))
    )
    assert other_judge.status_code == 422
    filed = _form(clerk, "/staff/cases", **_case_fields(portal))
    assert filed.status_code == 303, filed.text
    case_url = filed.headers["location"]
    taken = _form(clerk, "/staff/cases", **_case_fields(portal))
    assert taken.status_code == 409 and "案件已存在" in taken.text

    page = clerk.get(case_url)
    assert (
        page.status_code == 200 and NEW_CASE in page.text and "judge-a（办公电话 010-1234 5678）" in page.text
    )
    case_id = int(case_url.rsplit("/", 1)[1])
    added = _form(clerk, f"/staff/cases/{case_id}/parties", name="甲公司", role="原告")
    assert added.status_code == 303 and added.headers["location"].startswith("/staff/password-slips/")
    slip = clerk.get(added.headers["location"])
    assert slip.status_code == 200 and "刷新不会再次生成" in slip.text and "甲公司" in slip.text
    assert slip.headers["cache-control"] == "no-store"
    password = _password(slip.text)
    assert password not in clerk.get(case_url).text
    assert portal.party(NEW_CASE, password).get("/api/my-case").status_code == 200

    party_id = int(re.findall(r'data-party="(\d+)"', clerk.get(case_url).text)[0])
    asked = _form(clerk, f"/staff/parties/{party_id}/password")  # not confirmed: the question first
    assert asked.status_code == 303 and asked.headers["location"] == f"/staff/parties/{party_id}/password"
    question = clerk.get(asked.headers["location"])
    assert question.status_code == 200 and "确认重置" in question.text
    assert portal.party(NEW_CASE, password).get("/api/my-case").status_code == 200  # nothing changed yet
    rotated = _form(clerk, f"/staff/parties/{party_id}/password", confirmed="yes")
    assert rotated.status_code == 303
    rotated = clerk.get(rotated.headers["location"])
    assert rotated.status_code == 200 and "原密码已失效" in rotated.text
    fresh = _password(rotated.text)
    assert fresh != password
    refused = portal.client().post("/api/session/party", json={"identifier": NEW_CASE, "password": password})
    assert refused.status_code == 401
    assert portal.party(NEW_CASE, fresh).get("/api/my-case").status_code == 200

    assert _form(clerk, f"/staff/cases/{case_id}/parties", name=" ", role="原告").status_code == 422
    event = _form(
        clerk,
        f"/staff/cases/{case_id}/events",
        kind="service",
        occurred_on="2026-02-03",
        description="起诉状副本已送达",
    )
    assert event.status_code == 303
    assert "起诉状副本已送达" in clerk.get(case_url).text


def test_other_courts_and_other_roles_are_refused(portal: Portal) -> None:
    world = portal.world
    case_page, hearing_page = f"/staff/cases/{world.case_a}", f"/staff/hearings/{world.hearing_a}"
    other = portal.staff("clerk-b")
    assert CASE_A not in other.get("/staff/cases").text
    for url in (case_page, hearing_page, f"/staff/cases/{world.case_a}/hearings/new"):
        assert other.get(url).status_code == 404, url
    assert _form(other, f"{case_page}/parties", name="丙", role="第三人").status_code == 404
    assert _form(other, f"/staff/parties/{world.party_a}/password").status_code == 404
    assert _form(other, f"{hearing_page}/cancel", reason="原告撤诉").status_code == 404

    judge = portal.staff("judge-a")
    page = judge.get(case_page)
    assert page.status_code == 200 and "张三" in page.text
    assert '<form class="stack"' not in page.text and "重置查询密码" not in page.text  # read only
    assert "取消开庭" not in judge.get(hearing_page).text
    assert judge.get("/staff/cases/new").status_code == 403
    assert _form(judge, f"{case_page}/parties", name="丙", role="第三人").status_code == 403
    assert _form(judge, f"{hearing_page}/notice").status_code == 403

    party = portal.party(CASE_A, world.password_a)
    assert party.get("/staff/cases").status_code == 403
    assert party.get(case_page).status_code == 403
    assert _form(party, f"{hearing_page}/cancel", reason="原告撤诉").status_code == 403
    assert portal.staff("operator-a").get("/staff/cases").status_code == 403
    anonymous = portal.client()
    for url in ("/staff/cases", case_page, hearing_page):
        redirect = anonymous.get(url)
        assert redirect.status_code == 303 and redirect.headers["location"] == "/login", url

    admin = portal.staff("admin").get("/staff/cases").text
    assert CASE_A in admin and CASE_B in admin
    with portal.db_factory() as db:
        denials = db.scalars(select(AuditRecord.target).where(AuditRecord.action == "access_denied")).all()
    assert f"GET {case_page}" in denials


def test_a_clerk_schedules_a_hearing_and_publishes_its_notice(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    form = clerk.get(f"/staff/cases/{portal.world.case_a}/hearings/new")
    assert form.status_code == 200 and "第一法庭" in form.text
    start = portal.clock.now() + timedelta(days=5)
    times = {
        "starts_at": _local(portal, start),
        "expected_end_at": _local(portal, start + timedelta(hours=2)),
    }
    fields = {"courtroom_id": str(portal.world.room_a), "public": "no", **times}
    refused = _form(clerk, f"/staff/cases/{portal.world.case_a}/hearings", **fields)
    assert refused.status_code == 422 and "法定理由" in refused.text
    hearing = _schedule(portal, clerk, days=6, mask_faces="on")
    page = clerk.get(f"/staff/hearings/{hearing}").text
    assert "遮挡受保护人员的面部" in page and "发布公告" in page and "exception_basis" not in page
    assert clerk.get(f"/api/hearings/{hearing}").json()["mask_faces"] is True

    anonymous = portal.client()
    assert len(anonymous.get("/api/notices").json()["notices"]) == 1  # cached for visitors
    published = _form(clerk, f"/staff/hearings/{hearing}/notice")
    assert published.status_code == 303
    notices = anonymous.get("/api/notices").json()["notices"]
    assert [n["hearing_id"] for n in notices] == [portal.world.hearing_a, hearing]
    assert "已发布" in clerk.get(f"/staff/hearings/{hearing}").text


def test_a_late_notice_is_refused_and_the_exception_form_offered(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    hearing = _schedule(portal, clerk, days=1)
    page = clerk.get(f"/staff/hearings/{hearing}").text
    assert 'name="exception_basis"' in page  # already late when the page is shown
    refused = _form(clerk, f"/staff/hearings/{hearing}/notice")
    assert refused.status_code == 409
    assert "开庭公告应当在开庭三日前发布" in refused.text and 'name="exception_basis"' in refused.text
    assert _form(clerk, f"/staff/hearings/{hearing}/notice", exception_basis="急").status_code == 409
    assert hearing not in [n["hearing_id"] for n in portal.client().get("/api/notices").json()["notices"]]

    published = _form(clerk, f"/staff/hearings/{hearing}/notice", exception_basis=BASIS)
    assert published.status_code == 303
    report = clerk.get("/api/compliance").json()
    assert [(n["hearing_id"], n["exception_basis"]) for n in report["late_notices"]] == [(hearing, BASIS)]
    assert BASIS in clerk.get(f"/staff/hearings/{hearing}").text
    with portal.db_factory() as db:
        refusals = db.scalars(select(AuditRecord.target).where(AuditRecord.action == "rule_refused")).all()
    assert refusals.count(f"POST /staff/hearings/{hearing}/notice") == 2


def test_cancel_move_and_openness_forms(portal: Portal) -> None:
    world, clerk = portal.world, portal.staff("clerk-a")
    url = f"/staff/hearings/{world.hearing_a}"
    soon = portal.clock.now() + timedelta(days=2)
    times = {"starts_at": _local(portal, soon), "expected_end_at": _local(portal, soon + timedelta(hours=1))}
    late = _form(clerk, f"{url}/reschedule", **times)
    assert late.status_code == 409 and "三日前" in late.text
    moved = _form(clerk, f"{url}/reschedule", **times, exception_basis=BASIS)
    assert moved.status_code == 303
    assert clerk.get("/api/compliance").json()["late_notices"][0]["hearing_id"] == world.hearing_a

    closed = _form(clerk, f"{url}/openness", public="no")
    assert closed.status_code == 422 and "法定理由" in closed.text
    assert (
        _form(clerk, f"{url}/openness", public="no", non_public_reason=REASON, mask_faces="on").status_code
        == 303
    )
    hearing = clerk.get(f"/api/hearings/{world.hearing_a}").json()
    assert hearing["is_public"] is False and hearing["non_public_reason"] == REASON and hearing["mask_faces"]

    assert _form(clerk, f"{url}/cancel", reason=" ").status_code == 422
    assert _form(clerk, f"{url}/cancel", reason="原告撤诉").status_code == 303
    page = clerk.get(url).text
    assert "本次开庭已取消" in page and "原告撤诉" in page and "取消开庭</button>" not in page
    notice = portal.client().get(f"/notices/{world.notice_a}").text
    assert "已取消" in notice
    assert "已取消" in clerk.get(f"/staff/cases/{world.case_a}").text
    with portal.db_factory() as db:
        case = db.get_one(Case, world.case_a)
        assert case.number == CASE_A


def _party_ids(clerk: Browser, case_url: str) -> list[str]:
    return re.findall(r'data-party="(\d+)"', clerk.get(case_url).text)


def test_reloading_a_form_result_changes_nothing(portal: Portal) -> None:
    """PRG: each form that changes something answers 303; reloading where it lands is a GET."""
    clerk = portal.staff("clerk-a")
    case_url = f"/staff/cases/{portal.world.case_a}"
    before = _party_ids(clerk, case_url)
    added = _form(clerk, f"{case_url}/parties", name="丙公司", role="第三人")
    assert added.status_code == 303
    slip_url = added.headers["location"]
    first = clerk.get(slip_url)
    assert first.status_code == 200 and _password(first.text)
    for _ in range(2):  # the browser reloads the slip page: shown once, and nothing is made again
        again = clerk.get(slip_url)
        assert again.status_code == 410 and "只显示一次" in again.text
        assert _password(first.text) not in again.text
    assert len(_party_ids(clerk, case_url)) == len(before) + 1  # one party, however often reloaded
    with portal.db_factory() as db:
        rotations = db.scalars(select(AuditRecord).where(AuditRecord.action == "password_rotated")).all()
    party_id = int(_party_ids(clerk, case_url)[-1])
    reset = _form(clerk, f"/staff/parties/{party_id}/password", confirmed="yes")
    assert reset.status_code == 303
    assert clerk.get(reset.headers["location"]).status_code == 200
    assert clerk.get(reset.headers["location"]).status_code == 410  # shown once
    with portal.db_factory() as db:
        after = db.scalars(select(AuditRecord).where(AuditRecord.action == "password_rotated")).all()
    assert len(after) == len(rotations) + 1  # one reset, however often reloaded

    event = _form(clerk, f"{case_url}/events", kind="service", occurred_on="2026-02-03", description="送达")
    assert event.status_code == 303
    assert clerk.get(event.headers["location"]).status_code == 200


def test_a_slip_is_only_for_the_session_that_made_it(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    added = _form(clerk, f"/staff/cases/{portal.world.case_a}/parties", name="丁", role="第三人")
    other = portal.staff("clerk-a")  # the same clerk signed in elsewhere
    refused = other.get(added.headers["location"])
    assert refused.status_code == 404 and "重置查询密码" in refused.text
    assert clerk.get(added.headers["location"]).status_code == 200  # the other's attempt took nothing


def test_a_refused_party_form_keeps_what_was_typed(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    case_url = f"/staff/cases/{portal.world.case_a}"
    before = _party_ids(clerk, case_url)
    refused = _form(clerk, f"{case_url}/parties", name="戊有限公司", role="\u200b")
    assert refused.status_code == 422 and "诉讼地位" in refused.text
    assert 'value="戊有限公司"' in refused.text
    assert _party_ids(clerk, case_url) == before


def test_a_courtroom_is_not_double_booked_without_a_reason(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    start = portal.clock.now() + timedelta(days=5, hours=1)  # hearing_a holds room_a days+5, 2 h
    fields = {
        "courtroom_id": str(portal.world.room_a),
        "starts_at": _local(portal, start),
        "expected_end_at": _local(portal, start + timedelta(hours=2)),
        "public": "yes",
    }
    url = f"/staff/cases/{portal.world.case_a}/hearings"
    refused = _form(clerk, url, **fields)
    assert refused.status_code == 409 and "该法庭在这段时间已安排其他开庭" in refused.text
    assert CASE_A in refused.text and fields["starts_at"] in refused.text  # what was typed is kept
    assert '<details class="override" open>' in refused.text  # the override field is offered
    short = _form(clerk, url, **fields, double_booking_reason="合并")
    assert short.status_code == 409 and "open>" in short.text and ">合并</textarea>" in short.text

    reason = "关联案件合并开庭，共用法庭"
    booked = _form(clerk, url, **fields, double_booking_reason=reason)
    assert booked.status_code == 303, booked.text
    hearing = int(booked.headers["location"].rsplit("/", 1)[1])
    with portal.db_factory() as db:
        audited = db.scalars(
            select(AuditRecord).where(
                AuditRecord.action == "hearing_scheduled", AuditRecord.target == f"hearing:{hearing}"
            )
        ).one()
    assert reason in audited.detail and str(portal.world.hearing_a) in audited.detail

    elsewhere = start + timedelta(days=1)  # free time: no reason needed
    free = _form(
        clerk,
        url,
        **(fields | {"starts_at": _local(portal, elsewhere)})
        | {"expected_end_at": _local(portal, elsewhere + timedelta(hours=1))},
    )
    assert free.status_code == 303
    moved_onto = _form(
        clerk,
        f"/staff/hearings/{portal.world.hearing_a}/reschedule",
        starts_at=_local(portal, elsewhere),
        expected_end_at=_local(portal, elsewhere + timedelta(hours=2)),
        exception_basis="",
    )
    assert moved_onto.status_code == 409 and "该法庭在这段时间已安排其他开庭" in moved_onto.text
    assert f'value="{_local(portal, elsewhere)}"' in moved_onto.text  # the typed times are kept
    assert '<details class="override" open>' in moved_onto.text


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
        response = _form(clerk, url, **fields)
        assert response.status_code == 303, (url, response.text[:300])
        assert not audited or _audit_count(portal) > before, url  # it did change something
        return str(response.headers["location"])

    filed = submit("/staff/cases", **_case_fields(portal, number="(2026) 京0101民初88号"))
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
        starts_at=_local(portal, start),
        expected_end_at=_local(portal, start + timedelta(hours=2)),
        public="yes",
    )
    hearing_id = hearing.rsplit("/", 1)[1]
    landings += [
        hearing,
        submit(f"/staff/hearings/{hearing_id}/notice"),
        submit(
            f"/staff/hearings/{hearing_id}/reschedule",
            starts_at=_local(portal, moved),
            expected_end_at=_local(portal, moved + timedelta(hours=2)),
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
    assert len(_party_ids(clerk, filed)) == 1
    with portal.db_factory() as db:
        assert len(db.scalars(select(CaseEvent.id).where(CaseEvent.case_id == case_id)).all()) == 1
