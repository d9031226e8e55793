"""Court staff schedule hearings and publish their notices (three-day rule, art. 8)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select

from portal.db import transaction
from portal.deps import ClerkDep, ContextDep, CsrfChecked, IdPath, StaffDep
from portal.models import Case, Hearing, Notice
from portal.notices import HearingDraft, publication_deadline, publish_notice, schedule_hearing
from portal.staff_scope import in_court_scope

router = APIRouter(tags=["hearings"])


class HearingIn(BaseModel):
    """A hearing to schedule (times with a time zone)."""

    case_id: int = Field(ge=1, le=2_147_483_647)
    courtroom_id: int = Field(ge=1, le=2_147_483_647)
    starts_at: AwareDatetime
    expected_end_at: AwareDatetime
    is_public: bool = True
    non_public_reason: str | None = Field(default=None, max_length=500)


class HearingOut(BaseModel):
    """A scheduled hearing and its notice, if published."""

    id: int
    case_id: int
    courtroom_id: int
    starts_at: datetime
    expected_end_at: datetime
    is_public: bool
    non_public_reason: str | None
    status: str
    notice_deadline: datetime = Field(description="the latest normal publication time of its notice")
    notice_id: int | None


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
        status=hearing.status.value,
        notice_deadline=publication_deadline(hearing.starts_at),
        notice_id=notice_id,
    )


@router.post("/api/hearings", response_model=HearingOut, status_code=201, summary="Schedule a hearing")
def api_schedule(context: ContextDep, clerk: ClerkDep, _csrf: CsrfChecked, body: HearingIn) -> HearingOut:
    """Schedule a hearing; a non-public hearing needs its legal reason."""
    with transaction(context.sessions) as db:
        hearing = schedule_hearing(db, clerk, HearingDraft(**body.model_dump()), now=context.clock.now())
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
        return [_out(h, notice_id) for h, court_id, notice_id in rows if in_court_scope(staff, court_id)]


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
            db, clerk, hearing_id, now=context.clock.now(), exception_basis=body.exception_basis
        )
    context.public_cache.clear()
    return NoticePublished(
        id=notice.id,
        hearing_id=notice.hearing_id,
        published_at=notice.published_at,
        late_exception_basis=notice.late_exception_basis,
    )
