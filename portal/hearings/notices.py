"""Hearings and their public notices (SPC 2013 opinion art. 5(6) and 8).

A notice must be published at least three days (72 hours) before its hearing starts (the rules are in
``hearing_rules``). A later publication is refused unless the clerk records the legal basis of an
exception; such a notice is published, marked late, and listed in the compliance report. Changes to a
hearing after scheduling (cancel, reschedule, publicity) are in ``hearing_changes``. Notices of
non-public hearings are published too, without party names (art. 12: no personal information unfit
for publication).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction, AuditEntry, JsonValue, append
from portal.errors import NotFoundError, RuleViolationError
from portal.hearings.room_booking import check_room_free
from portal.hearings.rules import check_times, late_exception, non_public_reason
from portal.identity.actor import Actor
from portal.identity.staff_scope import require_case_in_scope, require_hearing_in_scope
from portal.models import Case, Court, Courtroom, Hearing, HearingStatus, Notice, Party, User


@dataclass(frozen=True, slots=True)
class HearingDraft:
    """What a clerk enters to schedule a hearing (times timezone-aware)."""

    case_id: int
    courtroom_id: int
    starts_at: datetime
    expected_end_at: datetime
    is_public: bool
    non_public_reason: str | None = None
    mask_faces: bool = False
    double_booking_reason: str | None = None  # the override when the courtroom is taken (room_booking)


@dataclass(frozen=True, slots=True)
class NoticeView:
    """A published notice as the public sees it (no party names for non-public hearings)."""

    id: int
    hearing_id: int
    case_number: str
    case_name: str | None
    cause: str
    parties: tuple[str, ...]
    court_code: str
    court_name: str
    courtroom_name: str
    judge_name: str | None
    starts_at: datetime
    expected_end_at: datetime
    is_public: bool
    non_public_reason: str | None
    published_at: datetime
    late_exception_basis: str | None
    cancelled: bool
    revision: int


def schedule_hearing(db: Session, actor: Actor, draft: HearingDraft, *, now: datetime) -> Hearing:
    """Create a hearing after checking the case, courtroom, times and the non-public reason.

    Raises NotFoundError (case or courtroom unknown or outside the clerk's court), InvalidInputError,
    RoomDoubleBookedError (the courtroom is taken then, and no override reason was given).
    """
    case = require_case_in_scope(db, actor, draft.case_id)
    room = db.get(Courtroom, draft.courtroom_id)
    if room is None or room.court_id != case.court_id:
        raise NotFoundError()
    check_times(draft.starts_at, draft.expected_end_at, now=now)
    reason = non_public_reason(draft.is_public, draft.non_public_reason)  # what was typed first
    overridden, override = check_room_free(
        db, room.id, draft.starts_at, draft.expected_end_at, override_reason=draft.double_booking_reason
    )
    hearing = Hearing(
        case_id=case.id,
        courtroom_id=room.id,
        starts_at=draft.starts_at,
        expected_end_at=draft.expected_end_at,
        is_public=draft.is_public,
        non_public_reason=reason,
        mask_faces=draft.mask_faces,
        created_by=actor.user_id or 0,
        created_at=now,
    )
    db.add(hearing)
    db.flush()
    detail: dict[str, JsonValue] = {"public": hearing.is_public, "mask_faces": hearing.mask_faces}
    if override is not None:
        detail |= {"double_booked_with": list(overridden), "double_booking_reason": override}
    append(
        db,
        AuditEntry(actor.audit_name, AuditAction.HEARING_SCHEDULED, f"hearing:{hearing.id}", detail=detail),
        at=now,
    )
    return hearing


def publish_notice(
    db: Session, actor: Actor, hearing_id: int, *, now: datetime, exception_basis: str | None = None
) -> Notice:
    """Publish the notice of a hearing, enforcing the three-day rule.

    Raises NotFoundError (hearing unknown or outside the clerk's court), RuleViolationError (already
    published, cancelled, already started, or late without a legal basis of at least 6 characters).
    """
    hearing = require_hearing_in_scope(db, actor, hearing_id)
    if db.scalar(select(Notice.id).where(Notice.hearing_id == hearing.id)) is not None:
        raise RuleViolationError("该庭审的开庭公告已经发布")
    if hearing.status != HearingStatus.SCHEDULED or hearing.starts_at <= now:
        raise RuleViolationError("该庭审已取消或已经开始")
    basis = late_exception(hearing.starts_at, now=now, exception_basis=exception_basis)
    notice = Notice(
        hearing_id=hearing.id, published_at=now, published_by=actor.user_id or 0, late_exception_basis=basis
    )
    db.add(notice)
    db.flush()
    detail: dict[str, JsonValue] = {"late": basis is not None, "exception_basis": basis}
    append(
        db,
        AuditEntry(actor.audit_name, AuditAction.NOTICE_PUBLISHED, f"hearing:{hearing.id}", detail=detail),
        at=now,
    )
    return notice


def _notice_query() -> Select[Notice, Hearing, Case, Courtroom, Court]:
    return (
        select(Notice, Hearing, Case, Courtroom, Court)
        .join(Hearing, Notice.hearing_id == Hearing.id)
        .join(Case, Hearing.case_id == Case.id)
        .join(Courtroom, Hearing.courtroom_id == Courtroom.id)
        .join(Court, Courtroom.court_id == Court.id)
    )


def list_notices(
    db: Session,
    *,
    now: datetime,
    zone: ZoneInfo,
    court_code: str | None = None,
    on_date: date | None = None,
    limit: int = 200,
) -> list[NoticeView]:
    """Upcoming notices (hearings not yet ended), soonest first; the notice of a cancelled hearing stays
    listed, marked cancelled, until its hearing would have ended (so readers and calendars learn of it).

    ``on_date`` is a calendar date in ``zone`` (the court's local time); ``court_code`` filters by court.
    """
    query = _notice_query()
    if on_date is not None:
        start = datetime.combine(on_date, time.min, tzinfo=zone)
        query = query.where(Hearing.starts_at >= start, Hearing.starts_at < start + timedelta(days=1))
    else:
        query = query.where(Hearing.expected_end_at >= now)
    if court_code:
        query = query.where(Court.code == court_code)
    rows = db.execute(query.order_by(Hearing.starts_at, Notice.id).limit(limit)).all()
    return [_view(db, row) for row in rows]


def list_ended_public_notices(
    db: Session,
    *,
    started_before: datetime,
    zone: ZoneInfo,
    court_code: str | None = None,
    on_date: date | None = None,
    limit: int = 200,
) -> list[NoticeView]:
    """Notices of public hearings that were not cancelled and started before ``started_before``, latest
    first (the hearings that may have replays); filters as :func:`list_notices`."""
    query = _notice_query().where(
        Hearing.is_public.is_(True),
        Hearing.status != HearingStatus.CANCELLED,
        Hearing.starts_at < started_before,
    )
    if on_date is not None:
        start = datetime.combine(on_date, time.min, tzinfo=zone)
        query = query.where(Hearing.starts_at >= start, Hearing.starts_at < start + timedelta(days=1))
    if court_code:
        query = query.where(Court.code == court_code)
    rows = db.execute(query.order_by(Hearing.starts_at.desc(), Notice.id.desc()).limit(limit)).all()
    return [_view(db, row) for row in rows]


def get_notice(db: Session, notice_id: int) -> NoticeView:
    """One published notice; NotFoundError when there is none with this id."""
    row = db.execute(_notice_query().where(Notice.id == notice_id)).first()
    if row is None:
        raise NotFoundError()
    return _view(db, row)


def _view(db: Session, row: tuple[Notice, Hearing, Case, Courtroom, Court]) -> NoticeView:
    notice, hearing, case, room, court = row
    judge = db.get(User, case.judge_id) if case.judge_id is not None else None
    parties: tuple[str, ...] = ()
    if hearing.is_public:
        rows = db.execute(select(Party.role, Party.name).where(Party.case_id == case.id).order_by(Party.id))
        parties = tuple(f"{role}：{name}" for role, name in rows)
    return NoticeView(
        id=notice.id,
        hearing_id=hearing.id,
        case_number=case.number,
        case_name=case.name if hearing.is_public else None,
        cause=case.cause,
        parties=parties,
        court_code=court.code,
        court_name=court.name,
        courtroom_name=room.name,
        judge_name=judge.display_name if judge else None,
        starts_at=hearing.starts_at,
        expected_end_at=hearing.expected_end_at,
        is_public=hearing.is_public,
        non_public_reason=hearing.non_public_reason,
        published_at=notice.published_at,
        late_exception_basis=notice.late_exception_basis,
        cancelled=hearing.status == HearingStatus.CANCELLED,
        revision=hearing.revision,
    )
