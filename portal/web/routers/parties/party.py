"""A party's own case: its facts, hearings and recordings (art. 6), and its applications to review.

Nothing here takes a case id: the case is the one the party signed in for. Recording, application
and grant ids are checked against the party (``party_scope``): another party's ids are "not found".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from archive.formats.identifiers import IDENTIFIER_PATTERN
from portal.cases.filing import CaseFacts, RecordingView, case_facts, party_recordings
from portal.db import transaction
from portal.free_text import FreeText
from portal.identity.party_scope import own_request
from portal.models import ProcedureKind
from portal.records.recording_names import recording_titles
from portal.review.decisions import apply_for_review
from portal.web.csrf import check_session_token
from portal.web.deps import ContextDep, CsrfChecked, CurrentParty, IdPath, RecordingIdPath, client_ip
from portal.web.routers.staff.enforcement import party_actions
from portal.web.templates import render

router = APIRouter(tags=["my case"])

PROCEDURE_NAMES = {
    ProcedureKind.SERVICE.value: "送达",
    ProcedureKind.JURISDICTION.value: "管辖",
    ProcedureKind.PRESERVATION.value: "保全",
    ProcedureKind.TIME_LIMIT.value: "审限",
    ProcedureKind.PROCEDURE_CHANGE.value: "程序变更",
    ProcedureKind.ENFORCEMENT_MEASURE.value: "执行措施",
    ProcedureKind.CLOSURE.value: "结案",
    ProcedureKind.OTHER.value: "其他",
}


class PersonOut(BaseModel):
    """A judge or clerk: name and office phone."""

    name: str
    office_phone: str | None


class EventOut(BaseModel):
    """A procedure event of the party's case."""

    on: date
    kind: str
    description: str


class HearingOut(BaseModel):
    """A hearing of the party's case."""

    id: int
    courtroom: str
    starts_at: datetime
    expected_end_at: datetime
    is_public: bool
    status: str


class CaseOut(BaseModel):
    """What a party may look up about its case."""

    number: str
    name: str
    cause: str
    filing_date: date
    panel: str
    judge: PersonOut | None
    clerk: PersonOut | None
    events: list[EventOut]
    hearings: list[HearingOut]

    @classmethod
    def of(cls, facts: CaseFacts) -> CaseOut:
        return cls(
            number=facts.number,
            name=facts.name,
            cause=facts.cause,
            filing_date=facts.filing_date,
            panel=facts.panel,
            judge=PersonOut(name=facts.judge.name, office_phone=facts.judge.office_phone)
            if facts.judge
            else None,
            clerk=PersonOut(name=facts.clerk.name, office_phone=facts.clerk.office_phone)
            if facts.clerk
            else None,
            events=[EventOut(on=on, kind=kind, description=text) for on, kind, text in facts.events],
            hearings=[HearingOut.model_validate(h, from_attributes=True) for h in facts.hearings],
        )


class RecordingOut(BaseModel):
    """A recording of the party's case, with the party's latest application and grant."""

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

    @classmethod
    def of(cls, view: RecordingView) -> RecordingOut:
        return cls.model_validate(view, from_attributes=True)


class ApplicationIn(BaseModel):
    """An application to review a recording of the party's case."""

    recording_id: str = Field(min_length=1, max_length=128, pattern=IDENTIFIER_PATTERN)
    purpose: FreeText = Field(min_length=2, max_length=500)


class ApplicationOut(BaseModel):
    """An application and its state."""

    id: int
    recording_id: str
    status: str
    decision_reason: str | None
    created_at: datetime


@router.get("/api/my-case", response_model=CaseOut, summary="My case")
def api_my_case(context: ContextDep, party: CurrentParty) -> CaseOut:
    """Facts, procedure events and hearings of the signed-in party's case."""
    with transaction(context.sessions) as db:
        return CaseOut.of(case_facts(db, party.actor))


@router.get("/api/my-case/recordings", response_model=list[RecordingOut], summary="My case's recordings")
def api_my_recordings(context: ContextDep, party: CurrentParty) -> list[RecordingOut]:
    """The recordings of the party's case, with the party's applications and grants."""
    with transaction(context.sessions) as db:
        return [RecordingOut.of(r) for r in party_recordings(db, party.actor)]


@router.post(
    "/api/my-case/reviews", response_model=ApplicationOut, status_code=201, summary="Apply to review"
)
def api_apply(
    request: Request, context: ContextDep, party: CurrentParty, _csrf: CsrfChecked, body: ApplicationIn
) -> ApplicationOut:
    """Apply to review a recording of the party's own case (needs ``X-CSRF-Token``)."""
    with transaction(context.sessions) as db:
        created = apply_for_review(
            db, party.actor, body.recording_id, body.purpose, now=context.clock.now(), ip=client_ip(request)
        )
    return ApplicationOut(
        id=created.id,
        recording_id=created.recording_id,
        status=created.status.value,
        decision_reason=None,
        created_at=created.created_at,
    )


@router.get(
    "/api/my-case/reviews/{request_id}", response_model=ApplicationOut, summary="One of my applications"
)
def api_application(context: ContextDep, party: CurrentParty, request_id: IdPath) -> ApplicationOut:
    """An application the party made; 404 for anyone else's."""
    with transaction(context.sessions) as db:
        found = own_request(db, party.actor, request_id)
    return ApplicationOut(
        id=found.id,
        recording_id=found.recording_id,
        status=found.status.value,
        decision_reason=found.decision_reason,
        created_at=found.created_at,
    )


@router.get("/my-case", response_class=HTMLResponse, summary="My case page")
def my_case_page(request: Request, context: ContextDep, party: CurrentParty) -> HTMLResponse:
    """The party's case, hearings and recordings, with forms to apply for review."""
    with transaction(context.sessions) as db:
        facts = case_facts(db, party.actor)
        recordings = party_recordings(db, party.actor)
        titles = recording_titles(db, (r.id for r in recordings), context.display_zone)
        actions = party_actions(db, party.actor)
    values = {
        "facts": facts,
        "recordings": recordings,
        "titles": titles,
        "actions": actions,
        "kinds": PROCEDURE_NAMES,
        "now": context.clock.now(),
    }
    return render(request, "my_case.html", values)


@router.post(
    "/my-case/recordings/{recording_id}/apply", summary="Apply to review (form)", responses={303: {}}
)
def apply_form(
    request: Request,
    *,
    context: ContextDep,
    party: CurrentParty,
    recording_id: RecordingIdPath,
    purpose: Annotated[FreeText, Form(min_length=2, max_length=500)],
    csrf_token: Annotated[str, Form(max_length=128)],
) -> RedirectResponse:
    """The form variant of applying; returns to the case page."""
    check_session_token(party.csrf_token, csrf_token)
    with transaction(context.sessions) as db:
        apply_for_review(
            db, party.actor, recording_id, purpose, now=context.clock.now(), ip=client_ip(request)
        )
    return RedirectResponse("/my-case", status_code=303)
