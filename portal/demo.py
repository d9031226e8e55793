"""Demo data for ``make run``: a court, a courtroom, staff (clerk, judge, command-centre operator), a
case with two parties, a public hearing with its notice, and a granted review of the demo recording,
so a newcomer can try every page. With ``live_hearing`` also a public hearing of the demo courtroom
that starts seconds later, so the portal broadcasts it at once (its notice is published late under a
recorded exception, and the compliance report lists it: this is demo data).

Idempotent: run again, it reuses what exists and issues fresh passwords (printed once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.cases.filing import CaseDraft, add_case_event, add_party, create_case
from portal.devices.enrolment import create_code
from portal.devices.fleet import register_device
from portal.hearings.notices import HearingDraft, publish_notice, schedule_hearing
from portal.identity.accounts import create_user, get_or_create_court, get_or_create_courtroom
from portal.identity.actor import Actor
from portal.identity.passwords import generate_access_password, hash_password
from portal.models import (
    Case,
    Courtroom,
    Grant,
    Hearing,
    HearingStatus,
    Notice,
    Party,
    ProcedureKind,
    Recording,
    ReviewRequest,
    Role,
    User,
)
from portal.records.recordings_index import link_recording
from portal.review.decisions import Window, apply_for_review, approve

DEMO_COURT = "demo-court"  # the capture agent's default COURTREC_COURT
DEMO_BODYCAM_DEVICE = "demo-bodycam"  # the device id make run gives its bodycam
DEMO_ROOM = "demo-courtroom-1"  # scripts/run_system.py's courtroom agent
DEMO_BODYCAM_ROOM = "bodycam-007"  # scripts/run_system.py's bodycam agent
DEMO_AGENT_CASE = "2026-demo-civ-0001"
DEMO_CASE_NUMBER = "（2026）京0101民初1号"
DEMO_ENFORCEMENT_NUMBER = "（2026）京0101执1234号"  # the demo bodycam films its enforcement
DEMO_ENFORCEMENT_CODE = "2026-demo-enf-0042"  # the code earlier demo bodycams journaled
BODYCAM_CODE_LIFETIME = timedelta(hours=1)  # make run hands the code to its bodycam at once
LIVE_HEARING_LEAD = timedelta(seconds=10)  # the live demo hearing starts this long after seeding
LIVE_HEARING_LENGTH = timedelta(hours=2)
LIVE_HEARING_BASIS = "演示数据：为演示庭审直播当场排期，非真实案件（not a real hearing）"


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    """What to print for the newcomer."""

    case_number: str
    party_name: str
    party_password: str
    clerk_username: str
    clerk_password: str
    judge_username: str
    judge_password: str
    operator_username: str
    operator_password: str
    granted_recording: str | None
    live_notice_id: int | None
    enforcement_case_number: str
    bodycam_enrolment_code: str


def _staff(
    db: Session, username: str, name: str, role: Role, *, court_id: int, phone: str, now: datetime
) -> tuple[User, str]:
    password = generate_access_password(16)
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        user = create_user(
            db,
            username=username,
            display_name=name,
            role=role,
            password=password,
            now=now,
            actor="demo-seed",
            court_id=court_id,
            office_phone=phone,
        )
    else:
        user.password_hash, user.disabled = hash_password(password), False
    return user, password


def _actor(user: User) -> Actor:
    return Actor(role=user.role, display_name=user.display_name, user_id=user.id, court_id=user.court_id)


def seed_demo(
    db: Session, *, now: datetime, recording_id: str | None, live_hearing: bool = False
) -> DemoCredentials:
    """Create (or refresh) the demo data; grant the demo party ``recording_id`` if it is indexed; with
    ``live_hearing`` make sure a public hearing of the demo courtroom runs from now on (see module)."""
    court = get_or_create_court(db, DEMO_COURT, "北京市东城区人民法院（演示）")
    room = get_or_create_courtroom(db, court, DEMO_ROOM, "第一法庭")
    # the demo bodycam's live "room": the operator watches the feeds of its court's rooms only
    get_or_create_courtroom(db, court, DEMO_BODYCAM_ROOM, "执法记录仪 007（演示）")
    # the demo bodycam in the fleet: it enrols its own key with this one-time code, then signs its
    # heartbeats and command polls with it (the wall's remote commands reach it that way)
    register_device(db, DEMO_BODYCAM_DEVICE, DEMO_COURT, "王警官（演示）", actor="demo", now=now)
    _, bodycam_code = create_code(
        db, DEMO_BODYCAM_DEVICE, actor="demo", now=now, lifetime=BODYCAM_CODE_LIFETIME
    )
    clerk, clerk_password = _staff(
        db, "clerk", "王书记员", Role.CLERK, court_id=court.id, phone="010-6512 3456", now=now
    )
    judge, judge_password = _staff(
        db, "judge", "李法官", Role.JUDGE, court_id=court.id, phone="010-6512 3400", now=now
    )
    _, operator_password = _staff(
        db, "operator", "赵调度员", Role.OPERATOR, court_id=court.id, phone="010-6512 3499", now=now
    )
    case = db.scalar(select(Case).where(Case.number == DEMO_CASE_NUMBER))
    if case is None:
        case = _file_demo_case(db, clerk, judge, room, now)
    party, party_password = _demo_party(db, clerk, case, now)
    if db.scalar(select(Case).where(Case.number == DEMO_ENFORCEMENT_NUMBER)) is None:
        _file_demo_enforcement_case(db, clerk, judge, court.id, now)
    granted = _grant_demo_recording(db, judge, party, recording_id, now) if recording_id else None
    live_notice = _live_demo_hearing(db, clerk, case, room, now) if live_hearing else None
    return DemoCredentials(
        case_number=DEMO_CASE_NUMBER,
        party_name=party.name,
        party_password=party_password,
        clerk_username="clerk",
        clerk_password=clerk_password,
        judge_username="judge",
        judge_password=judge_password,
        operator_username="operator",
        operator_password=operator_password,
        granted_recording=granted,
        live_notice_id=live_notice,
        enforcement_case_number=DEMO_ENFORCEMENT_NUMBER,
        bodycam_enrolment_code=bodycam_code,
    )


def _file_demo_enforcement_case(db: Session, clerk: User, judge: User, court_id: int, now: datetime) -> Case:
    """The execution case the demo bodycam films (its recordings link to it by number)."""
    draft = CaseDraft(
        number=DEMO_ENFORCEMENT_NUMBER,
        court_id=court_id,
        name="张三申请执行李四民间借贷纠纷一案",
        cause="民间借贷纠纷",
        filing_date=date(2026, 3, 2),
        judge_id=judge.id,
        clerk_id=clerk.id,
        agent_code=DEMO_ENFORCEMENT_CODE,
    )
    return create_case(db, _actor(clerk), draft, now=now)


def _file_demo_case(db: Session, clerk: User, judge: User, room: Courtroom, now: datetime) -> Case:
    """The demo case with its defendant, a procedure event and a public hearing four days ahead."""
    draft = CaseDraft(
        number=DEMO_CASE_NUMBER,
        court_id=room.court_id,
        name="张三诉李四民间借贷纠纷",
        cause="民间借贷纠纷",
        filing_date=date(2026, 1, 5),
        panel="审判长 李法官；审判员 赵法官；人民陪审员 钱某",
        judge_id=judge.id,
        clerk_id=clerk.id,
        agent_code=DEMO_AGENT_CASE,
    )
    as_clerk = _actor(clerk)
    case = create_case(db, as_clerk, draft, now=now)
    add_party(db, as_clerk, case.id, "李四", "被告", now=now)
    add_case_event(
        db,
        as_clerk,
        case.id,
        kind=ProcedureKind.SERVICE,
        occurred_on=date(2026, 1, 8),
        description="起诉状副本已送达被告",
    )
    start = now + timedelta(days=4)
    hearing = schedule_hearing(
        db,
        as_clerk,
        HearingDraft(case.id, room.id, start, start + timedelta(hours=2), is_public=True),
        now=now,
    )
    publish_notice(db, as_clerk, hearing.id, now=now)
    return case


def _live_demo_hearing(db: Session, clerk: User, case: Case, room: Courtroom, now: datetime) -> int:
    """The notice id of a public demo hearing in ``room`` whose window covers the next minutes: one
    left from an earlier run, or a new one starting ``LIVE_HEARING_LEAD`` from ``now``."""
    soon = now + LIVE_HEARING_LEAD
    running = db.execute(
        select(Notice.id)
        .join(Hearing, Notice.hearing_id == Hearing.id)
        .where(
            Hearing.case_id == case.id,
            Hearing.courtroom_id == room.id,
            Hearing.is_public.is_(True),
            Hearing.status == HearingStatus.SCHEDULED,
            Hearing.starts_at <= soon,
            Hearing.expected_end_at > soon + timedelta(minutes=30),
        )
        .order_by(Hearing.starts_at.desc())
    ).first()
    if running is not None:
        return int(running[0])
    as_clerk = _actor(clerk)
    # an earlier demo's live hearing may still hold the room (ending within half an hour): the demo
    # shares it, with its reason on record, rather than fail to start
    draft = HearingDraft(
        case.id,
        room.id,
        soon,
        soon + LIVE_HEARING_LENGTH,
        is_public=True,
        double_booking_reason=LIVE_HEARING_BASIS,
    )
    hearing = schedule_hearing(db, as_clerk, draft, now=now)
    return publish_notice(db, as_clerk, hearing.id, now=now, exception_basis=LIVE_HEARING_BASIS).id


def _demo_party(db: Session, clerk: User, case: Case, now: datetime) -> tuple[Party, str]:
    party = db.scalar(select(Party).where(Party.case_id == case.id, Party.name == "张三"))
    if party is None:
        return add_party(db, _actor(clerk), case.id, "张三", "原告", now=now)
    password = generate_access_password()
    party.access_password_hash, party.password_set_at = hash_password(password), now
    return party, password


def _grant_demo_recording(
    db: Session, judge: User, party: Party, recording_id: str, now: datetime
) -> str | None:
    recording = db.get(Recording, recording_id)
    if recording is not None and recording.case_id is None:
        link_recording(db, recording, now=now)  # indexed before the demo case existed
    if recording is None or recording.case_id != party.case_id or not recording.in_bucket:
        return None
    existing = db.scalar(select(Grant).where(Grant.party_id == party.id, Grant.recording_id == recording_id))
    if existing is not None and existing.active_at(now):
        return recording_id
    as_party = Actor(role=Role.PARTY, display_name=party.name, party_id=party.id, case_id=party.case_id)
    pending = db.scalar(
        select(ReviewRequest).where(
            ReviewRequest.party_id == party.id,
            ReviewRequest.recording_id == recording_id,
            ReviewRequest.status == "pending",
        )
    )
    request = pending or apply_for_review(db, as_party, recording_id, "核对庭审笔录（演示）", now=now)
    approve(
        db,
        _actor(judge),
        request.id,
        Window(now - timedelta(minutes=1), now + timedelta(days=7)),
        now=now,
    )
    return recording_id


__all__ = ["DemoCredentials", "seed_demo"]
