"""Hearings, for court staff: schedule a hearing (courtroom of the case's court, times, public or not
with the legal reason, face masking on the broadcast), list and show hearings, and publish a hearing's
notice under the three-day rule (art. 8; a late one needs the legal basis of the exception). JSON API
under ``/api`` (``X-CSRF-Token``), then the staff pages under ``/staff``. Clerks change; judges read.

Cancelling, moving and changing publicity are in ``hearing_changes``; the rules live in
``portal.hearings``. A form refused by a rule is shown again with the reason next to it (409 rule,
422 value); each change is followed at once by the public pages and the broadcast scheduler.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.cases.staff_views import case_detail, courtrooms_of, hearing_detail
from portal.date_range import BoundedDatetime
from portal.db import transaction
from portal.errors import InvalidInputError, RuleViolationError
from portal.free_text import FreeText
from portal.hearings.notices import HearingDraft, publish_notice, schedule_hearing
from portal.hearings.room_booking import RoomDoubleBookedError
from portal.hearings.rules import publication_deadline
from portal.identity.principal import Principal
from portal.identity.staff_scope import in_court_scope, require_hearing_in_scope
from portal.models import Case, Hearing, Notice
from portal.records.gap_explanations import hearing_gaps, is_presiding_judge
from portal.records.room_views import hearing_recorder
from portal.web.context import PortalContext
from portal.web.deps import ClerkDep, ContextDep, CsrfChecked, DeciderDep, IdPath, StaffDep
from portal.web.forms.form_steps import step_and_return
from portal.web.forms.form_values import checked, local_time, record_id, text, yes_no
from portal.web.http_errors import audit_denial, status_of
from portal.web.routers.staff.broadcasts import get_scheduler
from portal.web.templates import render

router = APIRouter()
API: list[str | Enum] = ["hearings"]  # the OpenAPI tags of the JSON routes
PAGES: list[str | Enum] = ["staff pages"]  # and of the page routes, shared with the case pages

FormText = Annotated[str, Form(max_length=2000)]
_REFUSED = (InvalidInputError, RuleViolationError)


class HearingIn(BaseModel):
    """A hearing to schedule (times with a time zone)."""

    case_id: int = Field(ge=1, le=2_147_483_647)
    courtroom_id: int = Field(ge=1, le=2_147_483_647)
    starts_at: BoundedDatetime
    expected_end_at: BoundedDatetime
    is_public: bool = True
    non_public_reason: FreeText | None = Field(default=None, max_length=500)
    mask_faces: bool = Field(
        default=False, description="mask faces of protected participants (minors, witnesses) on air"
    )
    double_booking_reason: FreeText | None = Field(
        default=None,
        max_length=500,
        description="why the courtroom is used by another hearing at the same time (audited); without "
        "it such a hearing is refused (409)",
    )


class HearingOut(BaseModel):
    """A scheduled hearing and its notice, if published."""

    id: int
    case_id: int
    courtroom_id: int
    starts_at: datetime
    expected_end_at: datetime
    is_public: bool
    non_public_reason: str | None
    mask_faces: bool
    status: str
    cancelled_at: datetime | None
    cancel_reason: str | None
    notice_deadline: datetime = Field(description="the latest normal publication time of its notice")
    notice_id: int | None


class PublishIn(BaseModel):
    """Publication of a notice; ``exception_basis`` only for late publication."""

    exception_basis: FreeText | None = Field(
        default=None, max_length=500, description="legal basis when publishing less than three days ahead"
    )


class NoticePublished(BaseModel):
    """A published notice."""

    id: int
    hearing_id: int
    published_at: datetime
    late_exception_basis: str | None


class HearingForm(BaseModel):
    """The scheduling form as typed (checked by the domain, so a refusal shows the form again)."""

    csrf_token: str = Field(default="", max_length=128)
    courtroom_id: str = Field(default="", max_length=16)
    starts_at: str = Field(default="", max_length=32)
    expected_end_at: str = Field(default="", max_length=32)
    public: str = Field(default="", max_length=8)
    non_public_reason: str = Field(default="", max_length=1000)
    mask_faces: str = Field(default="", max_length=8)
    double_booking_reason: str = Field(default="", max_length=1000)


@router.post(
    "/api/hearings", response_model=HearingOut, status_code=201, summary="Schedule a hearing", tags=API
)
def api_schedule(context: ContextDep, clerk: ClerkDep, _csrf: CsrfChecked, body: HearingIn) -> HearingOut:
    """Schedule a hearing; a non-public hearing needs its legal reason; ``mask_faces`` masks the faces
    of protected participants on its public broadcast."""
    with transaction(context.sessions) as db:
        hearing = schedule_hearing(
            db, clerk.actor, HearingDraft(**body.model_dump()), now=context.clock.now()
        )
        return hearing_out(hearing, None)


@router.get("/api/hearings", response_model=list[HearingOut], summary="Hearings (staff)", tags=API)
def api_hearings(context: ContextDep, staff: StaffDep) -> list[HearingOut]:
    """Hearings of the caller's courts, soonest first."""
    with transaction(context.sessions) as db:
        rows = db.execute(
            select(Hearing, Case.court_id, Notice.id)
            .join(Case, Hearing.case_id == Case.id)
            .outerjoin(Notice, Notice.hearing_id == Hearing.id)
            .order_by(Hearing.starts_at)
        )
        return [
            hearing_out(h, notice_id)
            for h, court_id, notice_id in rows
            if in_court_scope(staff.actor, court_id)
        ]


@router.post(
    "/api/hearings/{hearing_id}/notice",
    response_model=NoticePublished,
    status_code=201,
    summary="Publish the hearing notice",
    responses={409: {"description": "late without exception"}},
    tags=API,
)
def api_publish(
    context: ContextDep, clerk: ClerkDep, _csrf: CsrfChecked, hearing_id: IdPath, body: PublishIn
) -> NoticePublished:
    """Publish the notice; refused (409) later than three days before the hearing unless
    ``exception_basis`` records the legal basis (the notice is then flagged in the compliance report)."""
    with transaction(context.sessions) as db:
        notice = publish_notice(
            db, clerk.actor, hearing_id, now=context.clock.now(), exception_basis=body.exception_basis
        )
    context.public_cache.clear()
    return NoticePublished(
        id=notice.id,
        hearing_id=notice.hearing_id,
        published_at=notice.published_at,
        late_exception_basis=notice.late_exception_basis,
    )


@router.get(
    "/api/hearings/{hearing_id}", response_model=HearingOut, summary="Get a hearing (staff)", tags=API
)
def api_hearing(context: ContextDep, staff: StaffDep, hearing_id: IdPath) -> HearingOut:
    """A hearing of the caller's courts with its notice id."""
    with transaction(context.sessions) as db:
        hearing = require_hearing_in_scope(db, staff.actor, hearing_id)
        return hearing_out(hearing, db.scalar(select(Notice.id).where(Notice.hearing_id == hearing.id)))


@router.get(
    "/staff/cases/{case_id}/hearings/new", response_class=HTMLResponse, summary="Schedule page", tags=PAGES
)
def new_hearing_page(request: Request, context: ContextDep, clerk: ClerkDep, case_id: IdPath) -> Response:
    """The scheduling form of a hearing of this case (404 for another court's case)."""
    return _schedule_form(request, context, clerk, case_id, {})


@router.post(
    "/staff/cases/{case_id}/hearings", summary="Schedule a hearing (form)", responses={303: {}}, tags=PAGES
)
def schedule_form(
    request: Request,
    context: ContextDep,
    clerk: ClerkDep,
    case_id: IdPath,
    form: Annotated[HearingForm, Form()],
) -> Response:
    """Schedule, then the hearing page (where its notice is published)."""
    zone = context.display_zone

    def schedule(db: Session) -> Hearing:
        draft = HearingDraft(
            case_id=case_id,
            courtroom_id=record_id(form.courtroom_id, "法庭") or 0,
            starts_at=local_time(form.starts_at, "开庭时间", zone),
            expected_end_at=local_time(form.expected_end_at, "预计结束时间", zone),
            is_public=yes_no(form.public, "是否公开审理"),
            non_public_reason=text(form.non_public_reason, "不公开理由", required=False),
            mask_faces=checked(form.mask_faces),
            double_booking_reason=text(form.double_booking_reason, "同时使用法庭的理由", required=False)
            or None,
        )
        return schedule_hearing(db, clerk.actor, draft, now=context.clock.now())

    try:
        return step_and_return(
            context.sessions,
            clerk,
            form.csrf_token,
            schedule,
            lambda hearing: f"/staff/hearings/{hearing.id}",
        )
    except _REFUSED as exc:
        audit_denial(request, exc)
        submitted = form.model_dump(exclude={"csrf_token"})
        submitted["double_booked"] = "yes" if isinstance(exc, RoomDoubleBookedError) else ""
        return _schedule_form(
            request, context, clerk, case_id, submitted, error=str(exc), status=status_of(exc)
        )


@router.get("/staff/hearings/{hearing_id}", response_class=HTMLResponse, summary="Hearing page", tags=PAGES)
def hearing_page(request: Request, context: ContextDep, staff: DeciderDep, hearing_id: IdPath) -> Response:
    """A hearing of the caller's court with its notice, and the clerk's forms (404 for others)."""
    return _hearing_page(request, context, staff, hearing_id)


@router.post(
    "/staff/hearings/{hearing_id}/notice",
    summary="Publish the notice (form)",
    responses={303: {}},
    tags=PAGES,
)
async def publish_form(
    request: Request,
    *,
    context: ContextDep,
    clerk: ClerkDep,
    hearing_id: IdPath,
    csrf_token: FormText = "",
    exception_basis: FormText = "",
) -> Response:
    """Publish; later than three days before the hearing it is refused with the rule, and the page
    offers the exception form (the legal basis is recorded and the notice flagged)."""

    def publish(db: Session) -> None:
        basis = text(exception_basis, "例外的法律依据", required=False) or None
        publish_notice(db, clerk.actor, hearing_id, now=context.clock.now(), exception_basis=basis)

    return await change_from_form(
        request, context, clerk, hearing_id, csrf_token=csrf_token, form="notice", apply=publish
    )


def hearing_out(hearing: Hearing, notice_id: int | None) -> HearingOut:
    """The API's view of ``hearing`` and the id of its notice (None: not published)."""
    return HearingOut(
        id=hearing.id,
        case_id=hearing.case_id,
        courtroom_id=hearing.courtroom_id,
        starts_at=hearing.starts_at,
        expected_end_at=hearing.expected_end_at,
        is_public=hearing.is_public,
        non_public_reason=hearing.non_public_reason,
        mask_faces=hearing.mask_faces,
        status=hearing.status.value,
        cancelled_at=hearing.cancelled_at,
        cancel_reason=hearing.cancel_reason,
        notice_deadline=publication_deadline(hearing.starts_at),
        notice_id=notice_id,
    )


async def followed(request: Request, context: PortalContext) -> None:
    """After a hearing changed: public pages and feeds are built anew, and the broadcast scheduler
    (when the live service runs in this portal) follows at once."""
    context.public_cache.clear()
    scheduler = get_scheduler(request)
    if scheduler is not None:
        await scheduler.follow_change()


async def change_from_form(
    request: Request,
    context: PortalContext,
    clerk: Principal,
    hearing_id: int,
    *,
    csrf_token: str,
    form: str,
    apply: Callable[[Session], None],
    submitted: dict[str, str] | None = None,
) -> Response:
    """Apply one hearing change in a transaction, then follow it (caches, broadcasts) and go back to
    the hearing page; a refused change shows the page again with the reason under ``form`` and what
    was typed (``submitted``)."""

    def run() -> Response:
        try:
            return step_and_return(
                context.sessions, clerk, csrf_token, apply, f"/staff/hearings/{hearing_id}"
            )
        except _REFUSED as exc:
            audit_denial(request, exc)
            typed = dict(submitted or {})
            typed["double_booked"] = "yes" if isinstance(exc, RoomDoubleBookedError) else ""
            page = _hearing_page(request, context, clerk, hearing_id, error=(form, str(exc)), submitted=typed)
            page.status_code = status_of(exc)
            return page

    answer = await asyncio.to_thread(run)
    if isinstance(answer, RedirectResponse):  # the change is made (a refusal shows the page again)
        await followed(request, context)
    return answer


def _schedule_form(
    request: Request,
    context: PortalContext,
    clerk: Principal,
    case_id: int,
    submitted: dict[str, str],
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    with context.readonly_sessions() as db:
        case = case_detail(db, clerk.actor, case_id)
        rooms = courtrooms_of(db, case.court_id)
    values: dict[str, Any] = {"case": case, "rooms": rooms, "form": submitted, "error": error}
    return render(request, "staff_hearing_new.html", values, status=status)


def _hearing_page(
    request: Request,
    context: PortalContext,
    staff: Principal,
    hearing_id: int,
    *,
    error: tuple[str, str] | None = None,
    submitted: dict[str, str] | None = None,
) -> Response:
    now = context.clock.now()
    with context.readonly_sessions() as db:
        hearing = hearing_detail(db, staff.actor, hearing_id)
        scoped = require_hearing_in_scope(db, staff.actor, hearing_id)
        recorder = hearing_recorder(db, scoped, now=now)
        gaps = hearing_gaps(db, scoped, lambda recording: context.tracks.get_loaded(recording)[1].gaps)
        presiding = is_presiding_judge(db, staff.actor, scoped)
    values = {
        "recorder": recorder,
        "recording_gaps": gaps,
        "presiding": presiding,
        "h": hearing,
        "now": now,
        "late": now > hearing.notice_deadline,
        "error_form": error[0] if error else None,
        "error": error[1] if error else None,
        "submitted": submitted or {},
    }
    return render(request, "staff_hearing.html", values)
