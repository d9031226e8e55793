"""The staff pages for cases and hearings, driven as a browser would (forms with the session's CSRF
token): file a case, add parties (each access password shown once), schedule a hearing, publish its
notice under the three-day rule (a late one is refused and the exception form offered), cancel,
move, change publicity and masking. Another court's clerk gets 404; judges read only; parties,
operators and anonymous visitors are refused."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from portal.models import AuditRecord, Case
from tests.portal.conftest import Browser, Portal
from tests.portal.staff_forms import NEW_CASE, case_fields, local_input, post_form, shown_password
from tests.portal.world import CASE_A, CASE_B

BASIS = "《民事诉讼法》第一百零三条 诉前保全案件，情况紧急"
REASON = "涉及未成年人，依法不公开审理"


def _schedule(portal: Portal, clerk: Browser, *, days: float, **overrides: str) -> int:
    start = portal.clock.now() + timedelta(days=days)
    fields = {
        "courtroom_id": str(portal.world.room_a),
        "starts_at": local_input(portal, start),
        "expected_end_at": local_input(portal, start + timedelta(hours=2)),
        "public": "yes",
    } | overrides
    response = post_form(clerk, f"/staff/cases/{portal.world.case_a}/hearings", **fields)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_a_clerk_files_a_case_and_hands_out_passwords_once(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    assert 'href="/staff/cases"' in clerk.get("/staff").text
    listed = clerk.get("/staff/cases").text
    assert CASE_A in listed and CASE_B not in listed
    form = clerk.get("/staff/cases/new")
    assert form.status_code == 200 and clerk.csrf in form.text and "010-1234 5678" in form.text
    assert clerk.http.post("/staff/cases", data=case_fields(portal)).status_code == 403  # no CSRF token

    malformed = post_form(clerk, "/staff/cases", **case_fields(portal, number="2026民初77"))
    assert malformed.status_code == 422 and "（2026）京0105民初1234号" in malformed.text
    assert "甲公司诉乙公司买卖合同纠纷" in malformed.text  # what was typed is kept
    other_judge = post_form(
        clerk, "/staff/cases", **case_fields(portal, judge_id=str(portal.world.users["clerk-b"]))
    )
    assert other_judge.status_code == 422
    filed = post_form(clerk, "/staff/cases", **case_fields(portal))
    assert filed.status_code == 303, filed.text
    case_url = filed.headers["location"]
    taken = post_form(clerk, "/staff/cases", **case_fields(portal))
    assert taken.status_code == 409 and "案件已存在" in taken.text

    page = clerk.get(case_url)
    assert (
        page.status_code == 200 and NEW_CASE in page.text and "judge-a（办公电话 010-1234 5678）" in page.text
    )
    case_id = int(case_url.rsplit("/", 1)[1])
    added = post_form(clerk, f"/staff/cases/{case_id}/parties", name="甲公司", role="原告")
    assert added.status_code == 303 and added.headers["location"].startswith("/staff/password-slips/")
    slip = clerk.get(added.headers["location"])
    assert slip.status_code == 200 and "刷新不会再次生成" in slip.text and "甲公司" in slip.text
    assert slip.headers["cache-control"] == "no-store"
    password = shown_password(slip.text)
    assert password not in clerk.get(case_url).text
    assert portal.party(NEW_CASE, password).get("/api/my-case").status_code == 200

    party_id = int(re.findall(r'data-party="(\d+)"', clerk.get(case_url).text)[0])
    asked = post_form(clerk, f"/staff/parties/{party_id}/password")  # not confirmed: the question first
    assert asked.status_code == 303 and asked.headers["location"] == f"/staff/parties/{party_id}/password"
    question = clerk.get(asked.headers["location"])
    assert question.status_code == 200 and "确认重置" in question.text
    assert portal.party(NEW_CASE, password).get("/api/my-case").status_code == 200  # nothing changed yet
    rotated = post_form(clerk, f"/staff/parties/{party_id}/password", confirmed="yes")
    assert rotated.status_code == 303
    rotated = clerk.get(rotated.headers["location"])
    assert rotated.status_code == 200 and "原密码已失效" in rotated.text
    fresh = shown_password(rotated.text)
    assert fresh != password
    refused = portal.client().post("/api/session/party", json={"identifier": NEW_CASE, "password": password})
    assert refused.status_code == 401
    assert portal.party(NEW_CASE, fresh).get("/api/my-case").status_code == 200

    assert post_form(clerk, f"/staff/cases/{case_id}/parties", name=" ", role="原告").status_code == 422
    event = post_form(
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
    assert post_form(other, f"{case_page}/parties", name="丙", role="第三人").status_code == 404
    assert post_form(other, f"/staff/parties/{world.party_a}/password").status_code == 404
    assert post_form(other, f"{hearing_page}/cancel", reason="原告撤诉").status_code == 404

    judge = portal.staff("judge-a")
    page = judge.get(case_page)
    assert page.status_code == 200 and "张三" in page.text
    assert '<form class="stack"' not in page.text and "重置查询密码" not in page.text  # read only
    assert "取消开庭" not in judge.get(hearing_page).text
    assert judge.get("/staff/cases/new").status_code == 403
    assert post_form(judge, f"{case_page}/parties", name="丙", role="第三人").status_code == 403
    assert post_form(judge, f"{hearing_page}/notice").status_code == 403

    party = portal.party(CASE_A, world.password_a)
    assert party.get("/staff/cases").status_code == 403
    assert party.get(case_page).status_code == 403
    assert post_form(party, f"{hearing_page}/cancel", reason="原告撤诉").status_code == 403
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
        "starts_at": local_input(portal, start),
        "expected_end_at": local_input(portal, start + timedelta(hours=2)),
    }
    fields = {"courtroom_id": str(portal.world.room_a), "public": "no", **times}
    refused = post_form(clerk, f"/staff/cases/{portal.world.case_a}/hearings", **fields)
    assert refused.status_code == 422 and "法定理由" in refused.text
    hearing = _schedule(portal, clerk, days=6, mask_faces="on")
    page = clerk.get(f"/staff/hearings/{hearing}").text
    assert "遮挡受保护人员的面部" in page and "发布公告" in page and "exception_basis" not in page
    assert clerk.get(f"/api/hearings/{hearing}").json()["mask_faces"] is True

    anonymous = portal.client()
    assert len(anonymous.get("/api/notices").json()["notices"]) == 1  # cached for visitors
    published = post_form(clerk, f"/staff/hearings/{hearing}/notice")
    assert published.status_code == 303
    notices = anonymous.get("/api/notices").json()["notices"]
    assert [n["hearing_id"] for n in notices] == [portal.world.hearing_a, hearing]
    assert "已发布" in clerk.get(f"/staff/hearings/{hearing}").text


def test_a_late_notice_is_refused_and_the_exception_form_offered(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    hearing = _schedule(portal, clerk, days=1)
    page = clerk.get(f"/staff/hearings/{hearing}").text
    assert 'name="exception_basis"' in page  # already late when the page is shown
    refused = post_form(clerk, f"/staff/hearings/{hearing}/notice")
    assert refused.status_code == 409
    assert "开庭公告应当在开庭三日前发布" in refused.text and 'name="exception_basis"' in refused.text
    assert post_form(clerk, f"/staff/hearings/{hearing}/notice", exception_basis="急").status_code == 409
    assert hearing not in [n["hearing_id"] for n in portal.client().get("/api/notices").json()["notices"]]

    published = post_form(clerk, f"/staff/hearings/{hearing}/notice", exception_basis=BASIS)
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
    times = {
        "starts_at": local_input(portal, soon),
        "expected_end_at": local_input(portal, soon + timedelta(hours=1)),
    }
    late = post_form(clerk, f"{url}/reschedule", **times)
    assert late.status_code == 409 and "三日前" in late.text
    moved = post_form(clerk, f"{url}/reschedule", **times, exception_basis=BASIS)
    assert moved.status_code == 303
    assert clerk.get("/api/compliance").json()["late_notices"][0]["hearing_id"] == world.hearing_a

    closed = post_form(clerk, f"{url}/openness", public="no")
    assert closed.status_code == 422 and "法定理由" in closed.text
    assert (
        post_form(
            clerk, f"{url}/openness", public="no", non_public_reason=REASON, mask_faces="on"
        ).status_code
        == 303
    )
    hearing = clerk.get(f"/api/hearings/{world.hearing_a}").json()
    assert hearing["is_public"] is False and hearing["non_public_reason"] == REASON and hearing["mask_faces"]

    assert post_form(clerk, f"{url}/cancel", reason=" ").status_code == 422
    assert post_form(clerk, f"{url}/cancel", reason="原告撤诉").status_code == 303
    page = clerk.get(url).text
    assert "本次开庭已取消" in page and "原告撤诉" in page and "取消开庭</button>" not in page
    notice = portal.client().get(f"/notices/{world.notice_a}").text
    assert "已取消" in notice
    assert "已取消" in clerk.get(f"/staff/cases/{world.case_a}").text
    with portal.db_factory() as db:
        case = db.get_one(Case, world.case_a)
        assert case.number == CASE_A


def test_a_courtroom_is_not_double_booked_without_a_reason(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    start = portal.clock.now() + timedelta(days=5, hours=1)  # hearing_a holds room_a days+5, 2 h
    fields = {
        "courtroom_id": str(portal.world.room_a),
        "starts_at": local_input(portal, start),
        "expected_end_at": local_input(portal, start + timedelta(hours=2)),
        "public": "yes",
    }
    url = f"/staff/cases/{portal.world.case_a}/hearings"
    refused = post_form(clerk, url, **fields)
    assert refused.status_code == 409 and "该法庭在这段时间已安排其他开庭" in refused.text
    assert CASE_A in refused.text and fields["starts_at"] in refused.text  # what was typed is kept
    assert '<details class="override" open>' in refused.text  # the override field is offered
    short = post_form(clerk, url, **fields, double_booking_reason="合并")
    assert short.status_code == 409 and "open>" in short.text and ">合并</textarea>" in short.text

    reason = "关联案件合并开庭，共用法庭"
    booked = post_form(clerk, url, **fields, double_booking_reason=reason)
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
    free = post_form(
        clerk,
        url,
        **(fields | {"starts_at": local_input(portal, elsewhere)})
        | {"expected_end_at": local_input(portal, elsewhere + timedelta(hours=1))},
    )
    assert free.status_code == 303
    moved_onto = post_form(
        clerk,
        f"/staff/hearings/{portal.world.hearing_a}/reschedule",
        starts_at=local_input(portal, elsewhere),
        expected_end_at=local_input(portal, elsewhere + timedelta(hours=2)),
        exception_basis="",
    )
    assert moved_onto.status_code == 409 and "该法庭在这段时间已安排其他开庭" in moved_onto.text
    assert f'value="{local_input(portal, elsewhere)}"' in moved_onto.text  # the typed times are kept
    assert '<details class="override" open>' in moved_onto.text
