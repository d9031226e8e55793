"""Cases, parties and what a party may look up about its own case (SPC 2013 opinion art. 6).

Each party of a case gets its own access password when added (shown once, stored only as an Argon2id
hash); a clerk can rotate it, which ends that party's open sessions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from archive.formats.identifiers import CODE_PATTERN
from portal.audit.trail import AuditAction, AuditEntry, append
from portal.case_number import canonical_case_number, stored_spellings
from portal.errors import InvalidInputError, NotFoundError, RuleViolationError
from portal.identity.actor import Actor
from portal.identity.party_scope import own_recording
from portal.identity.passwords import generate_access_password, hash_password
from portal.identity.sessions import end_sessions_of_party
from portal.identity.staff_scope import in_court_scope, require_case_in_scope
from portal.models import (
    Case,
    CaseEvent,
    Court,
    Courtroom,
    EnforcementAction,
    EnforcementActionRecording,
    Grant,
    Hearing,
    Party,
    ProcedureKind,
    Recording,
    ReviewRequest,
    Role,
    User,
)

# （2026）京0105民初1234号 — year in full-width (or ASCII) brackets, court code, type, serial, 号.
CASE_NUMBER = re.compile(r"^[（(]\d{4}[)）][\u4e00-\u9fffA-Za-z0-9]{1,24}\d{1,6}号$")
AGENT_CODE = re.compile(CODE_PATTERN, re.ASCII)


@dataclass(frozen=True, slots=True)
class CaseDraft:
    """What a clerk enters when a case is filed."""

    number: str
    court_id: int
    name: str
    cause: str
    filing_date: date
    panel: str = ""
    judge_id: int | None = None
    clerk_id: int | None = None
    agent_code: str | None = None


def create_case(db: Session, actor: Actor, draft: CaseDraft, *, now: datetime) -> Case:
    """File a case. Raises InvalidInputError (number format, unknown court, outside the actor's court,
    a judge or clerk who is not an active judge or clerk of that court) or RuleViolationError (the
    number or agent code is taken)."""
    number = canonical_case_number(draft.number)
    if not CASE_NUMBER.match(number):
        raise InvalidInputError("案号格式不正确，应如 （2026）京0105民初1234号")
    if draft.agent_code is not None and not AGENT_CODE.match(draft.agent_code):
        raise InvalidInputError("设备案件代码须为 1-64 个字母、数字或 . _ - 字符")
    if db.get(Court, draft.court_id) is None or not in_court_scope(actor, draft.court_id):
        raise InvalidInputError("法院不存在或不在您的管辖范围内")
    for user_id, role in ((draft.judge_id, Role.JUDGE), (draft.clerk_id, Role.CLERK)):
        user = db.get(User, user_id) if user_id is not None else None
        if user_id is not None and (
            user is None or user.disabled or user.role != role or user.court_id != draft.court_id
        ):
            who = "审判员" if role == Role.JUDGE else "书记员"
            raise InvalidInputError(f"所选{who}（用户 {user_id}）不是本院在职的{who}")
    if db.scalar(select(Case.id).where(Case.number.in_(stored_spellings(number)))) is not None:
        # also the same number stored with half-width brackets (before spellings were made one)
        raise RuleViolationError("该案号或设备案件代码已被使用，案件已存在")
    case = Case(
        number=number,
        agent_code=draft.agent_code,
        court_id=draft.court_id,
        name=draft.name.strip(),
        cause=draft.cause.strip(),
        filing_date=draft.filing_date,
        panel=draft.panel.strip(),
        judge_id=draft.judge_id,
        clerk_id=draft.clerk_id,
        created_at=now,
    )
    try:
        with db.begin_nested():
            db.add(case)
            db.flush()
    except IntegrityError as exc:
        raise RuleViolationError("该案号或设备案件代码已被使用，案件已存在") from exc
    append(
        db,
        AuditEntry(actor.audit_name, AuditAction.CASE_CREATED, f"case:{case.id}", detail={"number": number}),
        at=now,
    )
    return case


def add_party(
    db: Session, actor: Actor, case_id: int, name: str, role: str, *, now: datetime
) -> tuple[Party, str]:
    """Add a party to a case; returns it with its access password (to hand over once, never stored)."""
    case = require_case_in_scope(db, actor, case_id)
    if not name.strip() or not role.strip():
        raise InvalidInputError("请填写当事人的姓名和诉讼地位（如 原告、被告）")
    password = generate_access_password()
    party = Party(
        case_id=case.id,
        name=name.strip()[:200],
        role=role.strip()[:64],
        access_password_hash=hash_password(password),
        password_set_at=now,
    )
    db.add(party)
    db.flush()
    append(
        db,
        AuditEntry(actor.audit_name, AuditAction.PARTY_ADDED, f"party:{party.id}", detail={"case": case.id}),
        at=now,
    )
    return party, password


def rotate_party_password(db: Session, actor: Actor, party_id: int, *, now: datetime) -> str:
    """Issue a new access password for a party, end its sessions, and return the password."""
    party = db.get(Party, party_id)
    if party is None:
        raise NotFoundError()
    require_case_in_scope(db, actor, party.case_id)
    password = generate_access_password()
    party.access_password_hash, party.password_set_at = hash_password(password), now
    end_sessions_of_party(db, party.id)
    db.flush()
    append(db, AuditEntry(actor.audit_name, AuditAction.PASSWORD_ROTATED, f"party:{party.id}"), at=now)
    return password


def add_case_event(
    db: Session, actor: Actor, case_id: int, *, kind: ProcedureKind, occurred_on: date, description: str
) -> CaseEvent:
    """Record a procedure fact (service, jurisdiction, preservation, time limit, change …)."""
    case = require_case_in_scope(db, actor, case_id)
    if not description.strip():
        raise InvalidInputError("请填写程序事项的内容")
    event = CaseEvent(case_id=case.id, kind=kind, occurred_on=occurred_on, description=description.strip())
    db.add(event)
    db.flush()
    return event


@dataclass(frozen=True, slots=True)
class PersonView:
    """A judge or clerk as a party sees them: name and office phone."""

    name: str
    office_phone: str | None


@dataclass(frozen=True, slots=True)
class HearingView:
    """A hearing of the party's case."""

    id: int
    courtroom: str
    starts_at: datetime
    expected_end_at: datetime
    is_public: bool
    status: str


@dataclass(frozen=True, slots=True)
class RecordingView:
    """A recording of the party's case with the party's latest application and grant."""

    id: str
    started_at: datetime | None
    duration_seconds: float
    streams: list[str]
    complete: bool
    available: bool
    request_id: int | None
    request_status: str | None
    decision_reason: str | None
    grant_id: int | None
    grant_not_before: datetime | None
    grant_not_after: datetime | None
    grant_revoked: bool


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """Everything art. 6 lets a party look up about its own case."""

    number: str
    name: str
    cause: str
    filing_date: date
    panel: str
    judge: PersonView | None
    clerk: PersonView | None
    events: list[tuple[date, str, str]]
    hearings: list[HearingView]
    party_name: str


def case_facts(db: Session, party: Actor) -> CaseFacts:
    """The party's own case: facts, procedure events and hearings (NotFoundError if it vanished)."""
    case = db.get(Case, party.case_id) if party.case_id is not None else None
    if case is None or party.party_id is None:
        raise NotFoundError()
    events = db.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.occurred_on, CaseEvent.id)
    )
    rows = db.execute(
        select(Hearing, Courtroom)
        .join(Courtroom, Hearing.courtroom_id == Courtroom.id)
        .where(Hearing.case_id == case.id)
        .order_by(Hearing.starts_at)
    )
    return CaseFacts(
        number=case.number,
        name=case.name,
        cause=case.cause,
        filing_date=case.filing_date,
        panel=case.panel,
        judge=person_view(db, case.judge_id),
        clerk=person_view(db, case.clerk_id),
        events=[(e.occurred_on, e.kind.value, e.description) for e in events],
        hearings=[
            HearingView(h.id, room.name, h.starts_at, h.expected_end_at, h.is_public, h.status.value)
            for h, room in rows
        ],
        party_name=party.display_name,
    )


def party_recordings(db: Session, party: Actor) -> list[RecordingView]:
    """The recordings of the party's case, each with the party's latest application and grant."""
    if party.case_id is None:
        raise NotFoundError()
    linked = select(EnforcementActionRecording.recording_id).join(
        EnforcementAction, EnforcementAction.id == EnforcementActionRecording.action_id
    )
    recordings = db.scalars(
        select(Recording)
        .where(
            or_(
                Recording.case_id == party.case_id,
                Recording.id.in_(linked.where(EnforcementAction.case_id == party.case_id)),
            )
        )
        .order_by(Recording.started_at)
    )
    return [_recording_view(db, party, own_recording(db, party, r.id)) for r in recordings]


def _recording_view(db: Session, party: Actor, recording: Recording) -> RecordingView:
    request = db.scalars(
        select(ReviewRequest)
        .where(ReviewRequest.party_id == party.party_id, ReviewRequest.recording_id == recording.id)
        .order_by(ReviewRequest.id.desc())
    ).first()
    grant = db.scalar(select(Grant).where(Grant.request_id == request.id)) if request else None
    return RecordingView(
        id=recording.id,
        started_at=recording.started_at,
        duration_seconds=recording.duration_seconds,
        streams=list(json.loads(recording.streams)),
        complete=recording.complete,
        available=recording.in_bucket and recording.segment_count > 0,
        request_id=request.id if request else None,
        request_status=request.status.value if request else None,
        decision_reason=request.decision_reason if request else None,
        grant_id=grant.id if grant else None,
        grant_not_before=grant.not_before if grant else None,
        grant_not_after=grant.not_after if grant else None,
        grant_revoked=grant is not None and grant.revoked_at is not None,
    )


def person_view(db: Session, user_id: int | None) -> PersonView | None:
    """The judge or clerk ``user_id`` as parties see them (None when unset or unknown)."""
    user = db.get(User, user_id) if user_id is not None else None
    return PersonView(user.display_name, user.office_phone) if user else None
