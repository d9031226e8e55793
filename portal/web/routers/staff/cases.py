"""Cases, for court staff: file a case, add parties (each gets an access password, shown once),
rotate a party's password, record procedure events. JSON API under ``/api`` (``X-CSRF-Token``), then
the staff pages under ``/staff`` (a refused form is shown again with the reason). Clerks (and
administrators) change; judges read. The rules live in ``portal.cases.filing``."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.cases.filing import CaseDraft, add_case_event, add_party, create_case, rotate_party_password
from portal.cases.staff_views import case_detail, filing_choices, list_cases
from portal.date_range import BoundedDate
from portal.db import transaction
from portal.errors import InvalidInputError, RuleViolationError
from portal.free_text import FreeText
from portal.identity.principal import Principal
from portal.identity.staff_scope import require_case_in_scope
from portal.models import Case, CaseEvent, Party, ProcedureKind, Role
from portal.web.context import PortalContext
from portal.web.deps import ClerkDep, ContextDep, CsrfChecked, DeciderDep, IdPath, StaffDep
from portal.web.forms.form_steps import step_and_return
from portal.web.forms.form_values import day, identifier, record_id, text
from portal.web.http_errors import audit_denial, status_of
from portal.web.routers.parties.party import PROCEDURE_NAMES
from portal.web.templates import render

router = APIRouter()
API: list[str | Enum] = ["cases"]  # the OpenAPI tags of the JSON routes
PAGES: list[str | Enum] = ["staff pages"]  # and of the page routes, shared with the hearing pages

FormText = Annotated[str, Form(max_length=2000)]
SearchQuery = Annotated[str, Query(alias="q", max_length=64)]


class CaseIn(BaseModel):
    """A case as filed by a clerk."""

    number: str = Field(min_length=5, max_length=64, examples=["（2026）京0105民初1234号"])
    court_id: int = Field(ge=1, le=2_147_483_647)
    name: FreeText = Field(min_length=1, max_length=300)
    cause: FreeText = Field(min_length=1, max_length=200)
    filing_date: BoundedDate
    panel: FreeText = Field(default="", max_length=300)
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

    name: FreeText = Field(min_length=1, max_length=200)
    role: FreeText = Field(min_length=1, max_length=64, examples=["原告"])


class IssuedPassword(BaseModel):
    """A party and its new access password: hand it over now, it is not stored and not shown again."""

    party_id: int
    access_password: str


class EventIn(BaseModel):
    """A procedure event to record."""

    kind: ProcedureKind
    occurred_on: BoundedDate
    description: FreeText = Field(min_length=1, max_length=2000)


class EventOut(BaseModel):
    """A recorded procedure event."""

    id: int
    kind: ProcedureKind
    occurred_on: date
    description: str


class CaseForm(BaseModel):
    """The filing form as typed (checked by the domain, so a refusal shows the form again)."""

    csrf_token: str = Field(default="", max_length=128)
    number: str = Field(default="", max_length=200)
    name: str = Field(default="", max_length=1000)
    cause: str = Field(default="", max_length=1000)
    filing_date: str = Field(default="", max_length=32)
    panel: str = Field(default="", max_length=1000)
    judge_id: str = Field(default="", max_length=16)
    clerk_id: str = Field(default="", max_length=16)
    court_id: str = Field(default="", max_length=16)
    agent_code: str = Field(default="", max_length=200)


@router.post("/api/cases", response_model=CaseOut, status_code=201, summary="File a case", tags=API)
def api_create_case(context: ContextDep, clerk: ClerkDep, _csrf: CsrfChecked, body: CaseIn) -> CaseOut:
    """File a case in the clerk's court (409 when the number is taken)."""
    with transaction(context.sessions) as db:
        case = create_case(db, clerk.actor, CaseDraft(**body.model_dump()), now=context.clock.now())
        return _case_out(case, [])


@router.get("/api/cases/{case_id}", response_model=CaseOut, summary="Get a case (staff)", tags=API)
def api_case(context: ContextDep, staff: StaffDep, case_id: IdPath) -> CaseOut:
    """A case of the caller's court with its parties."""
    with transaction(context.sessions) as db:
        case = require_case_in_scope(db, staff.actor, case_id)
        parties = list(db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.id)))
        return _case_out(case, parties)


@router.post(
    "/api/cases/{case_id}/parties",
    response_model=IssuedPassword,
    status_code=201,
    summary="Add a party",
    tags=API,
)
def api_add_party(
    context: ContextDep, clerk: ClerkDep, _csrf: CsrfChecked, case_id: IdPath, body: PartyIn
) -> IssuedPassword:
    """Add a party; the answer carries its access password, which is shown only this once."""
    with transaction(context.sessions) as db:
        party, password = add_party(db, clerk.actor, case_id, body.name, body.role, now=context.clock.now())
    return IssuedPassword(party_id=party.id, access_password=password)


@router.post(
    "/api/parties/{party_id}/password",
    response_model=IssuedPassword,
    summary="Rotate a party's password",
    tags=API,
)
def api_rotate(context: ContextDep, clerk: ClerkDep, _csrf: CsrfChecked, party_id: IdPath) -> IssuedPassword:
    """Issue a new access password for a party; its open sessions end at once."""
    with transaction(context.sessions) as db:
        password = rotate_party_password(db, clerk.actor, party_id, now=context.clock.now())
    return IssuedPassword(party_id=party_id, access_password=password)


@router.post(
    "/api/cases/{case_id}/events",
    response_model=EventOut,
    status_code=201,
    summary="Add a procedure event",
    tags=API,
)
def api_add_event(
    context: ContextDep, clerk: ClerkDep, _csrf: CsrfChecked, case_id: IdPath, body: EventIn
) -> EventOut:
    """Record a procedure fact the parties will see (service, jurisdiction, preservation, …)."""
    with transaction(context.sessions) as db:
        return _event_out(add_case_event(db, clerk.actor, case_id, **body.model_dump()))


@router.get(
    "/api/cases/{case_id}/events",
    response_model=list[EventOut],
    summary="Procedure events (staff)",
    tags=API,
)
def api_events(context: ContextDep, staff: StaffDep, case_id: IdPath) -> list[EventOut]:
    """The procedure events of a case of the caller's court."""
    with transaction(context.sessions) as db:
        case = require_case_in_scope(db, staff.actor, case_id)
        rows = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
        return [_event_out(e) for e in rows]


@router.get("/staff/cases", response_class=HTMLResponse, summary="Case list page", tags=PAGES)
def cases_page(
    request: Request, context: ContextDep, staff: DeciderDep, search: SearchQuery = ""
) -> Response:
    """The cases of the caller's court (administrators: every court), newest first; ``q`` searches the
    case number and name."""
    with context.readonly_sessions() as db:
        cases = list_cases(db, staff.actor, search=search)
    return render(request, "staff_cases.html", {"cases": cases, "search": search})


@router.get("/staff/cases/new", response_class=HTMLResponse, summary="File a case page", tags=PAGES)
def new_case_page(request: Request, context: ContextDep, clerk: ClerkDep) -> Response:
    """The filing form (case number, name, cause, filing date, panel, judge and clerk)."""
    return _filing_form(request, context, clerk, {})


@router.post("/staff/cases", summary="File a case (form)", responses={303: {}}, tags=PAGES)
def file_case_form(
    request: Request, context: ContextDep, clerk: ClerkDep, form: Annotated[CaseForm, Form()]
) -> Response:
    """File the case, then its page (where parties are added); the form again with the reason when
    a value is refused (e.g. the number is taken or malformed)."""

    def file(db: Session) -> Case:
        draft = CaseDraft(
            number=identifier(form.number, "案号", max_length=64),
            court_id=_filing_court(clerk, form.court_id),
            name=text(form.name, "案件名称", max_length=300),
            cause=text(form.cause, "案由", max_length=200),
            filing_date=day(form.filing_date, "立案日期"),
            panel=text(form.panel, "合议庭", max_length=300, required=False),
            judge_id=record_id(form.judge_id, "承办法官", required=False),
            clerk_id=record_id(form.clerk_id, "书记员", required=False),
            agent_code=identifier(form.agent_code, "设备案件代码", max_length=64, required=False) or None,
        )
        return create_case(db, clerk.actor, draft, now=context.clock.now())

    try:
        return step_and_return(
            context.sessions, clerk, form.csrf_token, file, lambda case: f"/staff/cases/{case.id}"
        )
    except (InvalidInputError, RuleViolationError) as exc:
        audit_denial(request, exc)
        submitted = form.model_dump(exclude={"csrf_token"})
        return _filing_form(request, context, clerk, submitted, error=str(exc), status=status_of(exc))


@router.get("/staff/cases/{case_id}", response_class=HTMLResponse, summary="Case page", tags=PAGES)
def case_page(request: Request, context: ContextDep, staff: DeciderDep, case_id: IdPath) -> Response:
    """A case of the caller's court: facts, parties, procedure events, hearings (404 for others)."""
    return _case_page(request, context, staff, case_id)


@router.post(
    "/staff/cases/{case_id}/events",
    summary="Add a procedure event (form)",
    responses={303: {}},
    tags=PAGES,
)
def add_event_form(
    request: Request,
    *,
    context: ContextDep,
    clerk: ClerkDep,
    case_id: IdPath,
    csrf_token: FormText = "",
    kind: FormText = "",
    occurred_on: FormText = "",
    description: FormText = "",
) -> Response:
    """Record a procedure fact the parties will see, then back to the case page."""

    def add(db: Session) -> None:
        if kind not in PROCEDURE_NAMES:
            raise InvalidInputError("请选择流程类别")
        add_case_event(
            db,
            clerk.actor,
            case_id,
            kind=ProcedureKind(kind),
            occurred_on=day(occurred_on, "发生日期"),
            description=text(description, "流程内容", max_length=2000),
        )

    try:
        return step_and_return(context.sessions, clerk, csrf_token, add, f"/staff/cases/{case_id}")
    except InvalidInputError as exc:
        return _case_page(request, context, clerk, case_id, error=str(exc), status=422)


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


def _event_out(event: CaseEvent) -> EventOut:
    return EventOut(
        id=event.id, kind=event.kind, occurred_on=event.occurred_on, description=event.description
    )


def _filing_court(clerk: Principal, court_id: str) -> int:
    """A clerk files in their own court; an administrator chooses one."""
    if clerk.actor.role == Role.ADMIN:
        chosen = record_id(court_id, "法院", required=clerk.actor.court_id is None)
        if chosen is not None:
            return chosen
    if clerk.actor.court_id is None:
        raise InvalidInputError("请选择法院")
    return clerk.actor.court_id


def _filing_form(
    request: Request,
    context: PortalContext,
    clerk: Principal,
    submitted: dict[str, str],
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    with context.readonly_sessions() as db:
        choices = filing_choices(db, clerk.actor)
    values: dict[str, Any] = {"choices": choices, "form": submitted, "error": error}
    return render(request, "staff_case_new.html", values, status=status)


def _case_page(
    request: Request,
    context: PortalContext,
    staff: Principal,
    case_id: int,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    with context.readonly_sessions() as db:
        case = case_detail(db, staff.actor, case_id)
    values = {"case": case, "kinds": PROCEDURE_NAMES, "error": error, "now": context.clock.now()}
    return render(request, "staff_case.html", values, status=status)
