"""Staff pages for hearings: schedule one (courtroom of the case's court, start, expected end, public
or not with the legal reason, face masking on the broadcast), the hearing page, publish its notice
under the three-day rule (a late one is refused with the rule and the exception form is offered),
cancel, move, and change publicity or masking. Clerks change; judges read.

The rules live in ``portal.hearings.notices``, ``portal.hearings.changes`` and
``portal.hearings.rules``; a form
refused by one is shown again with the reason next to it (409 rule, 422 value).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from portal.cases.staff_views import case_detail, courtrooms_of, hearing_detail
from portal.db import transaction
from portal.errors import InvalidInputError, RuleViolationError
from portal.hearings.changes import Openness, cancel_hearing, change_openness, reschedule_hearing
from portal.hearings.notices import HearingDraft, publish_notice, schedule_hearing
from portal.identity.principal import Principal
from portal.web.context import PortalContext
from portal.web.csrf import check_session_token
from portal.web.deps import ClerkDep, ContextDep, DeciderDep, IdPath
from portal.web.form_values import checked, local_time, record_id, text, yes_no
from portal.web.http_errors import audit_denial, status_of
from portal.web.routers.hearings import followed
from portal.web.templates import render

router = APIRouter(tags=["staff pages"])

FormText = Annotated[str, Form(max_length=2000)]
_REFUSED = (InvalidInputError, RuleViolationError)


@router.get("/staff/cases/{case_id}/hearings/new", response_class=HTMLResponse, summary="Schedule page")
def new_hearing_page(request: Request, context: ContextDep, clerk: ClerkDep, case_id: IdPath) -> Response:
    """The scheduling form of a hearing of this case (404 for another court's case)."""
    return _schedule_form(request, context, clerk, case_id, {})


class HearingForm(BaseModel):
    """The scheduling form as typed (checked by the domain, so a refusal shows the form again)."""

    csrf_token: str = Field(default="", max_length=128)
    courtroom_id: str = Field(default="", max_length=16)
    starts_at: str = Field(default="", max_length=32)
    expected_end_at: str = Field(default="", max_length=32)
    public: str = Field(default="", max_length=8)
    non_public_reason: str = Field(default="", max_length=1000)
    mask_faces: str = Field(default="", max_length=8)


@router.post("/staff/cases/{case_id}/hearings", summary="Schedule a hearing (form)", responses={303: {}})
def schedule_form(
    request: Request,
    context: ContextDep,
    clerk: ClerkDep,
    case_id: IdPath,
    form: Annotated[HearingForm, Form()],
) -> Response:
    """Schedule, then the hearing page (where its notice is published)."""
    check_session_token(clerk.csrf_token, form.csrf_token)
    zone = context.display_zone
    try:
        draft = HearingDraft(
            case_id=case_id,
            courtroom_id=record_id(form.courtroom_id, "法庭") or 0,
            starts_at=local_time(form.starts_at, "开庭时间", zone),
            expected_end_at=local_time(form.expected_end_at, "预计结束时间", zone),
            is_public=yes_no(form.public, "是否公开审理"),
            non_public_reason=text(form.non_public_reason, "不公开理由", required=False),
            mask_faces=checked(form.mask_faces),
        )
        with transaction(context.sessions) as db:
            hearing = schedule_hearing(db, clerk.actor, draft, now=context.clock.now())
    except _REFUSED as exc:
        audit_denial(request, exc)
        submitted = form.model_dump(exclude={"csrf_token"})
        return _schedule_form(
            request, context, clerk, case_id, submitted, error=str(exc), status=status_of(exc)
        )
    return RedirectResponse(f"/staff/hearings/{hearing.id}", status_code=303)


@router.get("/staff/hearings/{hearing_id}", response_class=HTMLResponse, summary="Hearing page")
def hearing_page(request: Request, context: ContextDep, staff: DeciderDep, hearing_id: IdPath) -> Response:
    """A hearing of the caller's court with its notice, and the clerk's forms (404 for others)."""
    return _hearing_page(request, context, staff, hearing_id)


@router.post("/staff/hearings/{hearing_id}/notice", summary="Publish the notice (form)", responses={303: {}})
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

    return await _change(
        request, context, clerk, hearing_id, csrf_token=csrf_token, form="notice", apply=publish
    )


@router.post("/staff/hearings/{hearing_id}/cancel", summary="Cancel a hearing (form)", responses={303: {}})
async def cancel_form(
    request: Request,
    *,
    context: ContextDep,
    clerk: ClerkDep,
    hearing_id: IdPath,
    csrf_token: FormText = "",
    reason: FormText = "",
) -> Response:
    """Cancel with the reason given; a broadcast of it ends at once."""

    def cancel(db: Session) -> None:
        cancel_hearing(db, clerk.actor, hearing_id, text(reason, "取消理由"), now=context.clock.now())

    return await _change(
        request, context, clerk, hearing_id, csrf_token=csrf_token, form="cancel", apply=cancel
    )


@router.post("/staff/hearings/{hearing_id}/reschedule", summary="Move a hearing (form)", responses={303: {}})
async def reschedule_form(
    request: Request,
    *,
    context: ContextDep,
    clerk: ClerkDep,
    hearing_id: IdPath,
    csrf_token: FormText = "",
    starts_at: FormText = "",
    expected_end_at: FormText = "",
    exception_basis: FormText = "",
) -> Response:
    """Move the hearing; its published notice is republished under the three-day rule."""
    zone = context.display_zone

    def move(db: Session) -> None:
        reschedule_hearing(
            db,
            clerk.actor,
            hearing_id,
            local_time(starts_at, "开庭时间", zone),
            local_time(expected_end_at, "预计结束时间", zone),
            now=context.clock.now(),
            exception_basis=text(exception_basis, "例外的法律依据", required=False) or None,
        )

    return await _change(
        request, context, clerk, hearing_id, csrf_token=csrf_token, form="reschedule", apply=move
    )


@router.post(
    "/staff/hearings/{hearing_id}/openness", summary="Publicity and masking (form)", responses={303: {}}
)
async def openness_form(
    request: Request,
    *,
    context: ContextDep,
    clerk: ClerkDep,
    hearing_id: IdPath,
    csrf_token: FormText = "",
    public: FormText = "",
    non_public_reason: FormText = "",
    mask_faces: FormText = "",
) -> Response:
    """Public or not (the legal reason when not), and face masking on the broadcast."""

    def change(db: Session) -> None:
        openness = Openness(
            yes_no(public, "是否公开审理"),
            text(non_public_reason, "不公开理由", required=False),
            checked(mask_faces),
        )
        change_openness(db, clerk.actor, hearing_id, openness, now=context.clock.now())

    return await _change(
        request, context, clerk, hearing_id, csrf_token=csrf_token, form="openness", apply=change
    )


async def _change(
    request: Request,
    context: PortalContext,
    clerk: Principal,
    hearing_id: int,
    *,
    csrf_token: str,
    form: str,
    apply: Callable[[Session], None],
) -> Response:
    """Apply one hearing change in a transaction, then follow it (caches, broadcasts) and go back to
    the hearing page; a refused change shows the page again with the reason under ``form``."""
    check_session_token(clerk.csrf_token, csrf_token)

    def run() -> Response | None:
        try:
            with transaction(context.sessions) as db:
                apply(db)
        except _REFUSED as exc:
            audit_denial(request, exc)
            page = _hearing_page(request, context, clerk, hearing_id, error=(form, str(exc)))
            page.status_code = status_of(exc)
            return page
        return None

    refused = await asyncio.to_thread(run)
    if refused is not None:
        return refused
    await followed(request, context)
    return RedirectResponse(f"/staff/hearings/{hearing_id}", status_code=303)


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
) -> Response:
    with context.readonly_sessions() as db:
        hearing = hearing_detail(db, staff.actor, hearing_id)
    now = context.clock.now()
    values = {
        "h": hearing,
        "now": now,
        "late": now > hearing.notice_deadline,
        "error_form": error[0] if error else None,
        "error": error[1] if error else None,
    }
    return render(request, "staff_hearing.html", values)
