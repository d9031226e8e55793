"""Hearing changes, for court staff: cancel a hearing, move it, or change whether it is public and
whether faces are masked on its broadcast. JSON API under ``/api`` (``X-CSRF-Token``), then the staff
pages' forms under ``/staff`` (a refused change shows the hearing page again with the reason). Clerks
change. Each change is followed at once by the public pages and the broadcast scheduler.

Scheduling and publishing notices are in ``hearings``; the rules live in ``portal.hearings.changes``.
"""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.date_range import BoundedDatetime
from portal.db import transaction
from portal.free_text import FreeText
from portal.hearings.changes import Openness, cancel_hearing, change_openness, reschedule_hearing
from portal.models import Hearing, Notice
from portal.web.context import PortalContext
from portal.web.deps import ClerkDep, ContextDep, CsrfChecked, IdPath
from portal.web.forms.form_values import checked, local_time, text, yes_no
from portal.web.routers.staff.hearings import HearingOut, change_from_form, followed, hearing_out

router = APIRouter()
API: list[str | Enum] = ["hearings"]  # the OpenAPI tags of the JSON routes
PAGES: list[str | Enum] = ["staff pages"]  # and of the page routes, shared with the case pages

FormText = Annotated[str, Form(max_length=2000)]


class CancelIn(BaseModel):
    """Why the hearing is cancelled (kept in the audit log and shown to staff)."""

    reason: FreeText = Field(min_length=2, max_length=500, examples=["原告撤诉"])


class RescheduleIn(BaseModel):
    """The new times; ``exception_basis`` when the republished notice is less than three days ahead."""

    starts_at: BoundedDatetime
    expected_end_at: BoundedDatetime
    exception_basis: FreeText | None = Field(default=None, max_length=500)
    double_booking_reason: FreeText | None = Field(
        default=None, max_length=500, description="why the courtroom may be shared at the new time (audited)"
    )


class OpennessIn(BaseModel):
    """Whether the hearing is public (a non-public one names its legal reason) and masks faces on air."""

    is_public: bool
    non_public_reason: FreeText | None = Field(default=None, max_length=500)
    mask_faces: bool = False


@router.post(
    "/api/hearings/{hearing_id}/cancel", response_model=HearingOut, summary="Cancel a hearing", tags=API
)
async def api_cancel(
    request: Request,
    context: ContextDep,
    clerk: ClerkDep,
    _csrf: CsrfChecked,
    hearing_id: IdPath,
    body: CancelIn,
) -> HearingOut:
    """Cancel with a reason: a published notice shows as cancelled (取消) on the public pages and in the
    feed (STATUS:CANCELLED), and the hearing is taken off air at once if it is broadcast."""

    def cancel() -> Hearing:
        with transaction(context.sessions) as db:
            return cancel_hearing(db, clerk.actor, hearing_id, body.reason, now=context.clock.now())

    hearing = await asyncio.to_thread(cancel)
    return await _followed_out(request, context, hearing)


@router.post(
    "/api/hearings/{hearing_id}/reschedule",
    response_model=HearingOut,
    summary="Move a hearing",
    responses={409: {"description": "started, or the republished notice is late without exception"}},
    tags=API,
)
async def api_reschedule(
    request: Request,
    context: ContextDep,
    clerk: ClerkDep,
    _csrf: CsrfChecked,
    hearing_id: IdPath,
    body: RescheduleIn,
) -> HearingOut:
    """Move a hearing that has not started. A published notice is republished now under the three-day
    rule: refused (409) less than three days ahead unless ``exception_basis`` gives the legal basis."""

    def move() -> Hearing:
        with transaction(context.sessions) as db:
            return reschedule_hearing(
                db,
                clerk.actor,
                hearing_id,
                body.starts_at,
                body.expected_end_at,
                now=context.clock.now(),
                exception_basis=body.exception_basis,
                double_booking_reason=body.double_booking_reason,
            )

    hearing = await asyncio.to_thread(move)
    return await _followed_out(request, context, hearing)


@router.post(
    "/api/hearings/{hearing_id}/openness",
    response_model=HearingOut,
    summary="Public or not; face masking",
    tags=API,
)
async def api_openness(
    request: Request,
    context: ContextDep,
    clerk: ClerkDep,
    _csrf: CsrfChecked,
    hearing_id: IdPath,
    body: OpennessIn,
) -> HearingOut:
    """Make a hearing public or not (a non-public hearing needs its legal reason) and set whether
    faces of protected participants are masked on its broadcast; the scheduler follows at once."""

    def change() -> Hearing:
        openness = Openness(body.is_public, body.non_public_reason, body.mask_faces)
        with transaction(context.sessions) as db:
            return change_openness(db, clerk.actor, hearing_id, openness, now=context.clock.now())

    hearing = await asyncio.to_thread(change)
    return await _followed_out(request, context, hearing)


@router.post(
    "/staff/hearings/{hearing_id}/cancel", summary="Cancel a hearing (form)", responses={303: {}}, tags=PAGES
)
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

    return await change_from_form(
        request, context, clerk, hearing_id, csrf_token=csrf_token, form="cancel", apply=cancel
    )


@router.post(
    "/staff/hearings/{hearing_id}/reschedule",
    summary="Move a hearing (form)",
    responses={303: {}},
    tags=PAGES,
)
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
    double_booking_reason: FormText = "",
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
            double_booking_reason=text(double_booking_reason, "同时使用法庭的理由", required=False) or None,
        )

    return await change_from_form(
        request,
        context,
        clerk,
        hearing_id,
        csrf_token=csrf_token,
        form="reschedule",
        apply=move,
        submitted={
            "starts_at": starts_at,
            "expected_end_at": expected_end_at,
            "exception_basis": exception_basis,
            "double_booking_reason": double_booking_reason,
        },
    )


@router.post(
    "/staff/hearings/{hearing_id}/openness",
    summary="Publicity and masking (form)",
    responses={303: {}},
    tags=PAGES,
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

    return await change_from_form(
        request, context, clerk, hearing_id, csrf_token=csrf_token, form="openness", apply=change
    )


async def _followed_out(request: Request, context: PortalContext, hearing: Hearing) -> HearingOut:
    """Follow the change (caches, broadcasts), then the changed hearing with its notice id."""
    await followed(request, context)
    return hearing_out(hearing, await asyncio.to_thread(_notice_id, context, hearing.id))


def _notice_id(context: PortalContext, hearing_id: int) -> int | None:
    with context.readonly_sessions() as db:
        return db.scalar(select(Notice.id).where(Notice.hearing_id == hearing_id))
