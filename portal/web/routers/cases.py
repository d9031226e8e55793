"""Court staff manage cases: file a case, add parties (each gets an access password, shown once),
rotate a party's password, record procedure events. JSON API; changing calls need X-CSRF-Token."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from portal.cases.filing import CaseDraft, add_case_event, add_party, create_case, rotate_party_password
from portal.db import transaction
from portal.identity.staff_scope import require_case_in_scope
from portal.models import Case, CaseEvent, Party, ProcedureKind
from portal.web.deps import ClerkDep, ContextDep, CsrfChecked, IdPath, StaffDep

router = APIRouter(tags=["cases"])


class CaseIn(BaseModel):
    """A case as filed by a clerk."""

    number: str = Field(min_length=5, max_length=64, examples=["（2026）京0105民初1234号"])
    court_id: int = Field(ge=1, le=2_147_483_647)
    name: str = Field(min_length=1, max_length=300)
    cause: str = Field(min_length=1, max_length=200)
    filing_date: date
    panel: str = Field(default="", max_length=300)
    judge_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    clerk_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    agent_code: str | None = Field(default=None, max_length=64)


class PartyOut(BaseModel):
    """A party of a case (no password)."""

    id: int
    name: str
    role: str


class CaseOut(BaseModel):
    """A case as court staff see it."""

    id: int
    number: str
    agent_code: str | None
    court_id: int
    name: str
    cause: str
    filing_date: date
    panel: str
    judge_id: int | None
    clerk_id: int | None
    parties: list[PartyOut]


class PartyIn(BaseModel):
    """A party to add to a case."""

    name: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=64, examples=["原告"])


class IssuedPassword(BaseModel):
    """A party and its new access password: hand it over now, it is not stored and not shown again."""

    party_id: int
    access_password: str


class EventIn(BaseModel):
    """A procedure event to record."""

    kind: ProcedureKind
    occurred_on: date
    description: str = Field(min_length=1, max_length=2000)


class EventOut(BaseModel):
    """A recorded procedure event."""

    id: int
    kind: ProcedureKind
    occurred_on: date
    description: str


def _case_out(case: Case, parties: list[Party]) -> CaseOut:
    return CaseOut(
        id=case.id,
        number=case.number,
        agent_code=case.agent_code,
        court_id=case.court_id,
        name=case.name,
        cause=case.cause,
        filing_date=case.filing_date,
        panel=case.panel,
        judge_id=case.judge_id,
        clerk_id=case.clerk_id,
        parties=[PartyOut(id=p.id, name=p.name, role=p.role) for p in parties],
    )


@router.post("/api/cases", response_model=CaseOut, status_code=201, summary="File a case")
def api_create_case(context: ContextDep, clerk: ClerkDep, _csrf: CsrfChecked, body: CaseIn) -> CaseOut:
    """File a case in the clerk's court (409 when the number is taken)."""
    with transaction(context.sessions) as db:
        case = create_case(db, clerk.actor, CaseDraft(**body.model_dump()), now=context.clock.now())
        return _case_out(case, [])


@router.get("/api/cases/{case_id}", response_model=CaseOut, summary="Get a case (staff)")
def api_case(context: ContextDep, staff: StaffDep, case_id: IdPath) -> CaseOut:
    """A case of the caller's court with its parties."""
    with transaction(context.sessions) as db:
        case = require_case_in_scope(db, staff.actor, case_id)
        parties = list(db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.id)))
        return _case_out(case, parties)


@router.post(
    "/api/cases/{case_id}/parties", response_model=IssuedPassword, status_code=201, summary="Add a party"
)
def api_add_party(
    context: ContextDep, clerk: ClerkDep, _csrf: CsrfChecked, case_id: IdPath, body: PartyIn
) -> IssuedPassword:
    """Add a party; the answer carries its access password, which is shown only this once."""
    with transaction(context.sessions) as db:
        party, password = add_party(db, clerk.actor, case_id, body.name, body.role, now=context.clock.now())
    return IssuedPassword(party_id=party.id, access_password=password)


@router.post(
    "/api/parties/{party_id}/password", response_model=IssuedPassword, summary="Rotate a party's password"
)
def api_rotate(context: ContextDep, clerk: ClerkDep, _csrf: CsrfChecked, party_id: IdPath) -> IssuedPassword:
    """Issue a new access password for a party; its open sessions end at once."""
    with transaction(context.sessions) as db:
        password = rotate_party_password(db, clerk.actor, party_id, now=context.clock.now())
    return IssuedPassword(party_id=party_id, access_password=password)


@router.post(
    "/api/cases/{case_id}/events", response_model=EventOut, status_code=201, summary="Add a procedure event"
)
def api_add_event(
    context: ContextDep, clerk: ClerkDep, _csrf: CsrfChecked, case_id: IdPath, body: EventIn
) -> EventOut:
    """Record a procedure fact the parties will see (service, jurisdiction, preservation, …)."""
    with transaction(context.sessions) as db:
        event = add_case_event(
            db,
            clerk.actor,
            case_id,
            kind=body.kind,
            occurred_on=body.occurred_on,
            description=body.description,
        )
        return EventOut(
            id=event.id, kind=event.kind, occurred_on=event.occurred_on, description=event.description
        )


@router.get("/api/cases/{case_id}/events", response_model=list[EventOut], summary="Procedure events (staff)")
def api_events(context: ContextDep, staff: StaffDep, case_id: IdPath) -> list[EventOut]:
    """The procedure events of a case of the caller's court."""
    with transaction(context.sessions) as db:
        case = require_case_in_scope(db, staff.actor, case_id)
        rows = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
        return [
            EventOut(id=e.id, kind=e.kind, occurred_on=e.occurred_on, description=e.description) for e in rows
        ]
