"""What court staff see of cases and hearings on their pages: read-only views within the caller's
scope (their court; an administrator every court). Another court's case or hearing is "not found"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from portal.case_number import stored_spellings
from portal.cases.filing import PersonView, person_view
from portal.hearings.rules import publication_deadline
from portal.identity.actor import Actor
from portal.identity.staff_scope import in_court_scope, require_case_in_scope, require_hearing_in_scope
from portal.models import (
    Case,
    CaseEvent,
    Court,
    Courtroom,
    Hearing,
    HearingStatus,
    Notice,
    Party,
    Role,
    User,
)

CASE_LIST_LIMIT = 200


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """A line of the case list."""

    id: int
    number: str
    name: str
    cause: str
    filing_date: date
    court_name: str
    next_hearing: datetime | None


@dataclass(frozen=True, slots=True)
class HearingSummary:
    """A hearing as staff see it, with its courtroom and notice."""

    id: int
    case_id: int
    case_number: str
    court_id: int
    courtroom_id: int
    courtroom: str
    starts_at: datetime
    expected_end_at: datetime
    is_public: bool
    non_public_reason: str | None
    mask_faces: bool
    status: str
    cancelled_at: datetime | None
    cancel_reason: str | None
    notice_id: int | None
    notice_published_at: datetime | None
    late_exception_basis: str | None

    @property
    def notice_deadline(self) -> datetime:
        """The latest normal publication time of its notice (three days before the start)."""
        return publication_deadline(self.starts_at)

    @property
    def scheduled(self) -> bool:
        return self.status == HearingStatus.SCHEDULED.value


@dataclass(frozen=True, slots=True)
class PartySummary:
    """A party of a case (never its password)."""

    id: int
    name: str
    role: str
    password_set_at: datetime


@dataclass(frozen=True, slots=True)
class CaseDetail:
    """Everything the case page shows."""

    id: int
    number: str
    name: str
    cause: str
    filing_date: date
    panel: str
    court_id: int
    court_name: str
    judge: PersonView | None
    clerk: PersonView | None
    parties: list[PartySummary]
    events: list[tuple[date, str, str]]
    hearings: list[HearingSummary]


@dataclass(frozen=True, slots=True)
class StaffChoice:
    """A judge or clerk offered on the filing form (with the office phone parties will see)."""

    id: int
    name: str
    office_phone: str | None
    court_id: int


@dataclass(frozen=True, slots=True)
class FilingChoices:
    """What the filing form offers: the caller's courts, their judges and clerks."""

    courts: list[Court]
    judges: list[StaffChoice]
    clerks: list[StaffChoice]


def list_cases(db: Session, staff: Actor, *, search: str = "") -> list[CaseSummary]:
    """The cases of the caller's courts, newest filing first (at most 200), optionally those whose
    number or name contains ``search``."""
    courts = {c.id: c.name for c in db.scalars(select(Court)) if in_court_scope(staff, c.id)}
    upcoming = (
        select(Hearing.case_id, func.min(Hearing.starts_at).label("next"))
        .where(Hearing.status == HearingStatus.SCHEDULED)
        .group_by(Hearing.case_id)
        .subquery()
    )
    query = (
        select(Case, upcoming.c.next)
        .outerjoin(upcoming, upcoming.c.case_id == Case.id)
        .where(Case.court_id.in_(list(courts)))
        .order_by(Case.filing_date.desc(), Case.id.desc())
        .limit(CASE_LIST_LIMIT)
    )
    if search.strip():
        # a case number in any spelling (portal.case_number); names as typed
        official, older = stored_spellings(search)
        query = query.where(
            Case.number.like(f"%{official}%")
            | Case.number.like(f"%{older}%")
            | Case.name.like(f"%{search.strip()}%")
        )
    return [
        CaseSummary(c.id, c.number, c.name, c.cause, c.filing_date, courts[c.court_id], next_at)
        for c, next_at in db.execute(query)
    ]


def case_detail(db: Session, staff: Actor, case_id: int) -> CaseDetail:
    """The case page's content; NotFoundError outside the caller's courts."""
    case = require_case_in_scope(db, staff, case_id)
    court = db.get_one(Court, case.court_id)
    parties = db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.id))
    events = db.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.occurred_on, CaseEvent.id)
    )
    return CaseDetail(
        id=case.id,
        number=case.number,
        name=case.name,
        cause=case.cause,
        filing_date=case.filing_date,
        panel=case.panel,
        court_id=case.court_id,
        court_name=court.name,
        judge=person_view(db, case.judge_id),
        clerk=person_view(db, case.clerk_id),
        parties=[PartySummary(p.id, p.name, p.role, p.password_set_at) for p in parties],
        events=[(e.occurred_on, e.kind.value, e.description) for e in events],
        hearings=_hearings(db, Hearing.case_id == case.id),
    )


def hearing_detail(db: Session, staff: Actor, hearing_id: int) -> HearingSummary:
    """One hearing with its notice; NotFoundError outside the caller's courts."""
    hearing = require_hearing_in_scope(db, staff, hearing_id)
    [summary] = _hearings(db, Hearing.id == hearing.id)
    return summary


def courtrooms_of(db: Session, court_id: int) -> list[Courtroom]:
    """The courtrooms of a court, by name."""
    return list(db.scalars(select(Courtroom).where(Courtroom.court_id == court_id).order_by(Courtroom.name)))


def filing_choices(db: Session, staff: Actor) -> FilingChoices:
    """The courts the caller may file in, and the enabled judges and clerks of those courts."""
    courts = [c for c in db.scalars(select(Court).order_by(Court.name)) if in_court_scope(staff, c.id)]
    users = db.scalars(
        select(User)
        .where(
            User.court_id.in_([c.id for c in courts]),
            User.role.in_([Role.JUDGE, Role.CLERK]),
            User.disabled.is_(False),
        )
        .order_by(User.display_name)
    )
    judges: list[StaffChoice] = []
    clerks: list[StaffChoice] = []
    for user in users:
        choice = StaffChoice(user.id, user.display_name, user.office_phone, user.court_id or 0)
        (judges if user.role == Role.JUDGE else clerks).append(choice)
    return FilingChoices(courts, judges, clerks)


def _hearings(db: Session, condition: ColumnElement[bool]) -> list[HearingSummary]:
    rows = db.execute(
        select(Hearing, Case, Courtroom, Notice)
        .join(Case, Hearing.case_id == Case.id)
        .join(Courtroom, Hearing.courtroom_id == Courtroom.id)
        .outerjoin(Notice, Notice.hearing_id == Hearing.id)
        .where(condition)
        .order_by(Hearing.starts_at, Hearing.id)
    )
    return [
        HearingSummary(
            id=h.id,
            case_id=c.id,
            case_number=c.number,
            court_id=c.court_id,
            courtroom_id=room.id,
            courtroom=room.name,
            starts_at=h.starts_at,
            expected_end_at=h.expected_end_at,
            is_public=h.is_public,
            non_public_reason=h.non_public_reason,
            mask_faces=h.mask_faces,
            status=h.status.value,
            cancelled_at=h.cancelled_at,
            cancel_reason=h.cancel_reason,
            notice_id=n.id if n else None,
            notice_published_at=n.published_at if n else None,
            late_exception_basis=n.late_exception_basis if n else None,
        )
        for h, c, room, n in rows
    ]
