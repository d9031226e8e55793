"""Court staff schedule hearings, publish their notices (three-day rule, art. 8), and cancel, move or
change them; each change is followed at once by the public-broadcast scheduler when it runs here."""

from __future__ import annotations

import asyncio
from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select

from portal.db import transaction
from portal.hearings.changes import Openness, cancel_hearing, change_openness, reschedule_hearing
from portal.hearings.notices import HearingDraft, publish_notice, schedule_hearing
from portal.hearings.rules import publication_deadline
from portal.identity.staff_scope import in_court_scope, require_hearing_in_scope
from portal.models import Case, Hearing, Notice
from portal.web.context import PortalContext
from portal.web.deps import ClerkDep, ContextDep, CsrfChecked, IdPath, StaffDep
from portal.web.routers.broadcasts import get_scheduler

router = APIRouter(tags=["hearings"])


class HearingIn(BaseModel):
    """A hearing to schedule (times with a time zone)."""

    case_id: int = Field(ge=1, le=2_147_483_647)
    courtroom_id: int = Field(ge=1, le=2_147_483_647)
    starts_at: AwareDatetime
    expected_end_at: AwareDatetime
    is_public: bool = True
    non_public_reason: str | None = Field(default=None, max_length=500)
    mask_faces: bool = Field(
        default=False, description="mask faces of protected participants (minors, witnesses) on air"
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


class CancelIn(BaseModel):
    """Why the hearing is cancelled (kept in the audit log and shown to staff)."""

    reason: str = Field(min_length=2, max_length=500, examples=["原告撤诉"])


class RescheduleIn(BaseModel):
    """The new times; ``exception_basis`` when the republished notice is less than three days ahead."""

    starts_at: AwareDatetime
    expected_end_at: AwareDatetime
    exception_basis: str | None = Field(default=None, max_length=500)


class OpennessIn(BaseModel):
    """Whether the hearing is public (a non-public one names its legal reason) and masks faces on air."""

    is_public: bool
    non_public_reason: str | None = Field(default=None, max_length=500)
    mask_faces: bool = False


class PublishIn(BaseModel):
    """Publication of a notice; ``exception_basis`` only for late publication."""

    exception_basis: str | None = Field(
        default=None, max_length=500, description="legal basis when publishing less than three days ahead"
    )


class NoticePublished(BaseModel):
    """A published notice."""

    id: int
    hearing_id: int
    published_at: datetime
    late_exception_basis: str | None


def _out(hearing: Hearing, notice_id: int | None) -> HearingOut:
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


@router.post("/api/hearings", response_model=HearingOut, status_code=201, summary="Schedule a hearing")
def api_schedule(context: ContextDep, clerk: ClerkDep, _csrf: CsrfChecked, body: HearingIn) -> HearingOut:
    """Schedule a hearing; a non-public hearing needs its legal reason; ``mask_faces`` masks the faces
    of protected participants on its public broadcast."""
    with transaction(context.sessions) as db:
        hearing = schedule_hearing(
            db, clerk.actor, HearingDraft(**body.model_dump()), now=context.clock.now()
        )
        return _out(hearing, None)


@router.get("/api/hearings", response_model=list[HearingOut], summary="Hearings (staff)")
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
            _out(h, notice_id) for h, court_id, notice_id in rows if in_court_scope(staff.actor, court_id)
        ]


@router.post(
    "/api/hearings/{hearing_id}/notice",
    response_model=NoticePublished,
    status_code=201,
    summary="Publish the hearing notice",
    responses={409: {"description": "late without exception"}},
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


def _notice_id(context: PortalContext, hearing_id: int) -> int | None:
    with context.readonly_sessions() as db:
        return db.scalar(select(Notice.id).where(Notice.hearing_id == hearing_id))


async def followed(request: Request, context: PortalContext) -> None:
    """After a hearing changed: public pages and feeds are built anew, and the broadcast scheduler
    (when the live service runs in this portal) follows at once."""
    context.public_cache.clear()
    scheduler = get_scheduler(request)
    if scheduler is not None:
        await scheduler.follow_change()


@router.get("/api/hearings/{hearing_id}", response_model=HearingOut, summary="Get a hearing (staff)")
def api_hearing(context: ContextDep, staff: StaffDep, hearing_id: IdPath) -> HearingOut:
    """A hearing of the caller's courts with its notice id."""
    with transaction(context.sessions) as db:
        hearing = require_hearing_in_scope(db, staff.actor, hearing_id)
        return _out(hearing, db.scalar(select(Notice.id).where(Notice.hearing_id == hearing.id)))


@router.post("/api/hearings/{hearing_id}/cancel", response_model=HearingOut, summary="Cancel a hearing")
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
    await followed(request, context)
    return _out(hearing, await asyncio.to_thread(_notice_id, context, hearing.id))


@router.post(
    "/api/hearings/{hearing_id}/reschedule",
    response_model=HearingOut,
    summary="Move a hearing",
    responses={409: {"description": "started, or the republished notice is late without exception"}},
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
            )

    hearing = await asyncio.to_thread(move)
    await followed(request, context)
    return _out(hearing, await asyncio.to_thread(_notice_id, context, hearing.id))


@router.post(
    "/api/hearings/{hearing_id}/openness", response_model=HearingOut, summary="Public or not; face masking"
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
    await followed(request, context)
    return _out(hearing, await asyncio.to_thread(_notice_id, context, hearing.id))
