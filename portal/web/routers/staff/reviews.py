"""Court staff decide on applications to review recordings: approve with a window, reject with a
reason, revoke a grant. JSON API (``X-CSRF-Token``) and server-rendered forms."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.date_range import BoundedDatetime
from portal.db import transaction
from portal.free_text import FreeText
from portal.identity.principal import Principal
from portal.identity.staff_scope import in_court_scope
from portal.models import Case, Grant, Party, ReviewRequest, ReviewStatus
from portal.records.recording_names import recording_titles
from portal.review.decisions import Window, approve, reject, revoke
from portal.web.csrf import check_session_token
from portal.web.deps import ContextDep, CsrfChecked, DeciderDep, IdPath, StaffDep, client_ip
from portal.web.templates import render

router = APIRouter(tags=["reviews"])

CsrfForm = Annotated[str, Form(max_length=128)]
ReasonForm = Annotated[FreeText, Form(min_length=2, max_length=500)]


class ApproveIn(BaseModel):
    """The review window [not_before, not_after), times with a time zone."""

    not_before: BoundedDatetime
    not_after: BoundedDatetime
    include_sealed: bool = Field(
        default=False, description="the party may play the sealed spans too (a judge only; else 403)"
    )


class ReasonIn(BaseModel):
    """The reason of a rejection or revocation, shown to the party."""

    reason: FreeText = Field(min_length=2, max_length=500)


class ReviewOut(BaseModel):
    """An application as court staff see it."""

    id: int
    party_id: int
    party_name: str
    case_number: str
    recording_id: str
    purpose: str
    status: str
    created_at: datetime
    decision_reason: str | None


class GrantOut(BaseModel):
    """A grant to play one recording within a window."""

    id: int
    request_id: int
    party_id: int
    party_name: str
    recording_id: str
    not_before: datetime
    not_after: datetime
    revoked_at: datetime | None
    include_sealed: bool


@router.get("/api/reviews", response_model=list[ReviewOut], summary="Applications (staff)")
def api_reviews(
    context: ContextDep, staff: StaffDep, status: Annotated[ReviewStatus | None, Query()] = None
) -> list[ReviewOut]:
    """Applications in the caller's courts, optionally by status."""
    with transaction(context.sessions) as db:
        return _requests(db, staff, status)


@router.post("/api/reviews/{request_id}/approve", response_model=GrantOut, status_code=201, summary="Approve")
def api_approve(
    request: Request,
    context: ContextDep,
    staff: DeciderDep,
    _csrf: CsrfChecked,
    request_id: IdPath,
    body: ApproveIn,
) -> GrantOut:
    """Approve a pending application for the window [not_before, not_after) (clerk or judge)."""
    with transaction(context.sessions) as db:
        grant = approve(
            db,
            staff.actor,
            request_id,
            Window(body.not_before, body.not_after),
            now=context.clock.now(),
            ip=client_ip(request),
            include_sealed=body.include_sealed,
        )
        return _grant_out(db, grant)


@router.post("/api/reviews/{request_id}/reject", response_model=ReviewOut, summary="Reject")
def api_reject(
    request: Request,
    context: ContextDep,
    staff: DeciderDep,
    _csrf: CsrfChecked,
    request_id: IdPath,
    body: ReasonIn,
) -> ReviewOut:
    """Reject a pending application with a reason (clerk or judge)."""
    with transaction(context.sessions) as db:
        reject(db, staff.actor, request_id, body.reason, now=context.clock.now(), ip=client_ip(request))
        return next(r for r in _requests(db, staff, None) if r.id == request_id)


@router.get("/api/grants", response_model=list[GrantOut], summary="Active grants (staff)")
def api_grants(context: ContextDep, staff: StaffDep) -> list[GrantOut]:
    """Grants not revoked and not yet expired, in the caller's courts."""
    with transaction(context.sessions) as db:
        return _grants(db, staff, context.clock.now())


@router.post("/api/grants/{grant_id}/revoke", response_model=GrantOut, summary="Revoke a grant")
def api_revoke(
    request: Request,
    context: ContextDep,
    staff: DeciderDep,
    _csrf: CsrfChecked,
    grant_id: IdPath,
    body: ReasonIn,
) -> GrantOut:
    """Revoke a grant now: no new playlist or segment URL is issued for it from the next request on."""
    with transaction(context.sessions) as db:
        grant = revoke(db, staff.actor, grant_id, body.reason, now=context.clock.now(), ip=client_ip(request))
        return _grant_out(db, grant)


@router.get("/staff", response_class=HTMLResponse, summary="Staff home page")
def staff_home(request: Request, staff: StaffDep) -> HTMLResponse:
    """Links to the review queue and the compliance report."""
    return render(request, "staff_home.html", {})


@router.get("/staff/reviews", response_class=HTMLResponse, summary="Review queue page")
def staff_reviews_page(request: Request, context: ContextDep, staff: StaffDep) -> HTMLResponse:
    """Pending applications with approve/reject forms, and active grants with revoke forms."""
    with transaction(context.sessions) as db:
        pending = _requests(db, staff, ReviewStatus.PENDING)
        grants = _grants(db, staff, context.clock.now())
        ids = [r.recording_id for r in pending] + [g.recording_id for g in grants]
        titles = recording_titles(db, ids, context.display_zone)
    return render(request, "staff_reviews.html", {"pending": pending, "grants": grants, "titles": titles})


@router.post("/staff/reviews/{request_id}/approve", summary="Approve (form)", responses={303: {}})
def approve_form(
    request: Request,
    *,
    context: ContextDep,
    staff: DeciderDep,
    request_id: IdPath,
    hours: Annotated[int, Form(ge=1, le=720)],
    csrf_token: CsrfForm,
    include_sealed: Annotated[bool, Form()] = False,
) -> RedirectResponse:
    """Approve from now for ``hours`` hours (``include_sealed``: with the sealed spans, a judge only)."""
    check_session_token(staff.csrf_token, csrf_token)
    now = context.clock.now()
    with transaction(context.sessions) as db:
        approve(
            db,
            staff.actor,
            request_id,
            Window(now, now + timedelta(hours=hours)),
            now=now,
            ip=client_ip(request),
            include_sealed=include_sealed,
        )
    return RedirectResponse("/staff/reviews", status_code=303)


@router.post("/staff/reviews/{request_id}/reject", summary="Reject (form)", responses={303: {}})
def reject_form(
    request: Request,
    *,
    context: ContextDep,
    staff: DeciderDep,
    request_id: IdPath,
    reason: ReasonForm,
    csrf_token: CsrfForm,
) -> RedirectResponse:
    """Reject with the reason given."""
    check_session_token(staff.csrf_token, csrf_token)
    with transaction(context.sessions) as db:
        reject(db, staff.actor, request_id, reason, now=context.clock.now(), ip=client_ip(request))
    return RedirectResponse("/staff/reviews", status_code=303)


@router.post("/staff/grants/{grant_id}/revoke", summary="Revoke (form)", responses={303: {}})
def revoke_form(
    request: Request,
    *,
    context: ContextDep,
    staff: DeciderDep,
    grant_id: IdPath,
    reason: ReasonForm,
    csrf_token: CsrfForm,
) -> RedirectResponse:
    """Revoke with the reason given."""
    check_session_token(staff.csrf_token, csrf_token)
    with transaction(context.sessions) as db:
        revoke(db, staff.actor, grant_id, reason, now=context.clock.now(), ip=client_ip(request))
    return RedirectResponse("/staff/reviews", status_code=303)


def _requests(db: Session, staff: Principal, status: ReviewStatus | None) -> list[ReviewOut]:
    query = (
        select(ReviewRequest, Party, Case)
        .join(Party, ReviewRequest.party_id == Party.id)
        .join(Case, Party.case_id == Case.id)
        .order_by(ReviewRequest.id)
    )
    if status is not None:
        query = query.where(ReviewRequest.status == status)
    return [
        ReviewOut(
            id=r.id,
            party_id=p.id,
            party_name=p.name,
            case_number=c.number,
            recording_id=r.recording_id,
            purpose=r.purpose,
            status=r.status.value,
            created_at=r.created_at,
            decision_reason=r.decision_reason,
        )
        for r, p, c in db.execute(query)
        if in_court_scope(staff.actor, c.court_id)
    ]


def _grants(db: Session, staff: Principal, now: datetime) -> list[GrantOut]:
    query = (
        select(Grant, Party, Case)
        .join(Party, Grant.party_id == Party.id)
        .join(Case, Party.case_id == Case.id)
        .where(Grant.revoked_at.is_(None), Grant.not_after > now)
        .order_by(Grant.id)
    )
    return [
        GrantOut(
            id=g.id,
            request_id=g.request_id,
            party_id=p.id,
            party_name=p.name,
            recording_id=g.recording_id,
            not_before=g.not_before,
            not_after=g.not_after,
            revoked_at=g.revoked_at,
            include_sealed=g.include_sealed,
        )
        for g, p, c in db.execute(query)
        if in_court_scope(staff.actor, c.court_id)
    ]


def _grant_out(db: Session, grant: Grant) -> GrantOut:
    party = db.get(Party, grant.party_id)
    return GrantOut(
        id=grant.id,
        request_id=grant.request_id,
        party_id=grant.party_id,
        party_name=party.name if party else "",
        recording_id=grant.recording_id,
        not_before=grant.not_before,
        not_after=grant.not_after,
        revoked_at=grant.revoked_at,
        include_sealed=grant.include_sealed,
    )
