"""Public live broadcasts of hearings: the clerk's controls (cut, resume) as JSON and as staff pages,
and the public live page of a hearing on air.

Clerks and judges act only on hearings of their own court (others' are answered 404); parties,
operators and anonymous callers are refused. The public page exists only while the hearing is on
air, which the scheduler allows only for public hearings (see ``broadcast_schedule``).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel
from sqlalchemy import select

from portal.audit.public_views import ViewKind
from portal.broadcasting.scheduler import BroadcastScheduler, OnAir
from portal.errors import NotFoundError
from portal.hearings.notices import NoticeView, get_notice
from portal.identity.principal import Principal
from portal.identity.staff_scope import in_court_scope
from portal.models import Case, Courtroom, Hearing
from portal.web.context import PortalContext
from portal.web.csrf import check_session_token
from portal.web.deps import ContextDep, CsrfChecked, DeciderDep, IdPath, client_ip
from portal.web.public_viewing import audit_public_view
from portal.web.templates import render

router = APIRouter(tags=["broadcasts"])


def get_scheduler(request: Request) -> BroadcastScheduler | None:
    """The app's broadcast scheduler; None when the live service is not mounted in the portal."""
    scheduler: BroadcastScheduler | None = getattr(request.app.state, "broadcasts", None)
    return scheduler


SchedulerDep = Annotated[BroadcastScheduler | None, Depends(get_scheduler)]
CsrfForm = Annotated[str, Form(max_length=128)]


class BroadcastOut(BaseModel):
    """A public hearing on air, as its court's clerks and judges see it."""

    hearing_id: int
    notice_id: int
    case_number: str
    courtroom: str
    feed: str
    state: str
    delay_seconds: float
    published_segments: int
    opened_at: datetime
    public_page: str


class CutOut(BaseModel):
    """The result of a cut: how many produced segments were withheld, and the state now."""

    broadcast: BroadcastOut
    withheld_segments: int


@router.get("/api/broadcasts", response_model=list[BroadcastOut], summary="Public hearings on air (staff)")
async def api_broadcasts(
    context: ContextDep, staff: DeciderDep, scheduler: SchedulerDep
) -> list[BroadcastOut]:
    """Public hearings of the caller's courts being broadcast now (clerk or judge)."""
    if scheduler is None:
        return []
    return await _describe(context, scheduler, _in_scope(scheduler, staff))


@router.post("/api/broadcasts/{hearing_id}/cut", response_model=CutOut, summary="Cut the public broadcast")
async def api_cut(
    request: Request,
    context: ContextDep,
    staff: DeciderDep,
    _csrf: CsrfChecked,
    scheduler: SchedulerDep,
    hearing_id: IdPath,
) -> CutOut:
    """Withhold at once everything of this hearing not yet published (the recording is untouched)."""
    on_air, item = _require(scheduler, staff, hearing_id)
    withheld = await on_air.cut(item.hearing_id, actor=staff.actor.audit_name, ip=client_ip(request))
    [described] = await _describe(context, on_air, [item])
    return CutOut(broadcast=described, withheld_segments=withheld)


@router.post("/api/broadcasts/{hearing_id}/resume", response_model=BroadcastOut, summary="Resume")
async def api_resume(
    request: Request,
    context: ContextDep,
    staff: DeciderDep,
    _csrf: CsrfChecked,
    scheduler: SchedulerDep,
    hearing_id: IdPath,
) -> BroadcastOut:
    """Publish again after a cut (after the broadcast delay)."""
    on_air, item = _require(scheduler, staff, hearing_id)
    await on_air.resume(item.hearing_id, actor=staff.actor.audit_name, ip=client_ip(request))
    [described] = await _describe(context, on_air, [item])
    return described


@router.get("/staff/broadcasts", response_class=HTMLResponse, summary="Public broadcasts page")
async def staff_broadcasts_page(
    request: Request, context: ContextDep, staff: DeciderDep, scheduler: SchedulerDep
) -> HTMLResponse:
    """Public hearings of the caller's courts on air now, each with cut and resume buttons."""
    broadcasts = await _describe(context, scheduler, _in_scope(scheduler, staff)) if scheduler else []
    values = {"broadcasts": broadcasts, "live_enabled": scheduler is not None}
    return render(request, "staff_broadcasts.html", values)


@router.post("/staff/broadcasts/{hearing_id}/cut", summary="Cut (form)", responses={303: {}})
async def cut_form(
    request: Request, staff: DeciderDep, scheduler: SchedulerDep, hearing_id: IdPath, csrf_token: CsrfForm
) -> RedirectResponse:
    """Cut, then back to the page."""
    check_session_token(staff.csrf_token, csrf_token)
    on_air, item = _require(scheduler, staff, hearing_id)
    await on_air.cut(item.hearing_id, actor=staff.actor.audit_name, ip=client_ip(request))
    return RedirectResponse("/staff/broadcasts", status_code=303)


@router.post("/staff/broadcasts/{hearing_id}/resume", summary="Resume (form)", responses={303: {}})
async def resume_form(
    request: Request, staff: DeciderDep, scheduler: SchedulerDep, hearing_id: IdPath, csrf_token: CsrfForm
) -> RedirectResponse:
    """Resume, then back to the page."""
    check_session_token(staff.csrf_token, csrf_token)
    on_air, item = _require(scheduler, staff, hearing_id)
    await on_air.resume(item.hearing_id, actor=staff.actor.audit_name, ip=client_ip(request))
    return RedirectResponse("/staff/broadcasts", status_code=303)


@router.get("/notices/{notice_id}/live", response_class=HTMLResponse, summary="Public live page")
async def public_live_page(
    request: Request, context: ContextDep, scheduler: SchedulerDep, notice_id: IdPath
) -> HTMLResponse:
    """The live player of a public hearing while it is on air, with its real delay (the view audited
    once per viewer per window); before it starts (or after it ends) a page saying so with its time;
    404 for a hearing that is not public."""
    notice = await asyncio.to_thread(_public_notice, context, notice_id)
    if notice is None or not notice.is_public:
        raise NotFoundError("该庭审没有公开直播")
    item = scheduler.of_hearing(notice.hearing_id) if scheduler is not None else None
    if scheduler is None or item is None:
        values = {"n": notice, "phase": _off_air_phase(notice, context.clock.now())}
        return render(request, "public_live_off_air.html", values, headers={"Cache-Control": "no-cache"})
    status = (await scheduler.control.on_air()).get(item.feed_id)
    await audit_public_view(request, context, notice, ViewKind.LIVE)  # once per viewer per window
    values = {
        "n": notice,
        "source": scheduler.control.media_url(item.feed_id),
        "delay_seconds": round(status.delay_seconds) if status is not None else None,
    }
    return render(request, "public_live.html", values, headers={"Cache-Control": "no-cache"})


def _off_air_phase(notice: NoticeView, now: datetime) -> str:
    """Why a public hearing is not on air: ``cancelled``, ``not_started``, ``ended`` or ``not_live``."""
    if notice.cancelled:
        return "cancelled"
    if now < notice.starts_at:
        return "not_started"
    if now >= notice.expected_end_at:
        return "ended"
    return "not_live"


def _in_scope(scheduler: BroadcastScheduler | None, staff: Principal) -> list[OnAir]:
    if scheduler is None:
        return []
    return [item for item in scheduler.on_air() if in_court_scope(staff.actor, item.court_id)]


def _require(
    scheduler: BroadcastScheduler | None, staff: Principal, hearing_id: int
) -> tuple[BroadcastScheduler, OnAir]:
    """The hearing's broadcast if it is on air and in the caller's court; NotFoundError otherwise."""
    item = scheduler.of_hearing(hearing_id) if scheduler is not None else None
    if scheduler is None or item is None or not in_court_scope(staff.actor, item.court_id):
        raise NotFoundError()
    return scheduler, item


def _names(context: PortalContext, hearing_ids: list[int]) -> dict[int, tuple[str, str]]:
    with context.readonly_sessions() as db:
        rows = db.execute(
            select(Hearing.id, Case.number, Courtroom.name)
            .join(Case, Hearing.case_id == Case.id)
            .join(Courtroom, Hearing.courtroom_id == Courtroom.id)
            .where(Hearing.id.in_(hearing_ids))
        ).all()
    return {hearing_id: (number, room) for hearing_id, number, room in rows}


async def _describe(
    context: PortalContext, scheduler: BroadcastScheduler, items: list[OnAir]
) -> list[BroadcastOut]:
    if not items:
        return []
    statuses = await scheduler.control.on_air()
    names = await asyncio.to_thread(_names, context, [item.hearing_id for item in items])
    described = []
    for item in items:
        status = statuses.get(item.feed_id)
        number, room = names.get(item.hearing_id, ("", ""))
        described.append(
            BroadcastOut(
                hearing_id=item.hearing_id,
                notice_id=item.notice_id,
                case_number=number,
                courtroom=room,
                feed=item.feed_id,
                state=status.state if status is not None else "ended",
                delay_seconds=status.delay_seconds if status is not None else 0.0,
                published_segments=status.published_segments if status is not None else 0,
                opened_at=item.opened_at,
                public_page=f"/notices/{item.notice_id}/live",
            )
        )
    return described


def _public_notice(context: PortalContext, notice_id: int) -> NoticeView | None:
    with context.readonly_sessions() as db:
        try:
            return get_notice(db, notice_id)
        except NotFoundError:
            return None
