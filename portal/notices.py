"""Hearings and their public notices (SPC 2013 opinion art. 5(6) and 8).

A notice must be published at least three days (72 hours) before its hearing starts. A later
publication is refused unless the clerk records the legal basis of an exception; such a notice is
published, marked late, and listed in the compliance report. Notices of non-public hearings are
published too, without party names (art. 12: no personal information unfit for publication).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from portal.audit import AuditAction, AuditEntry, append
from portal.errors import InvalidInputError, NotFoundError, RuleViolationError
from portal.models import Case, Court, Courtroom, Hearing, HearingStatus, Notice, Party, User
from portal.principal import Principal
from portal.staff_scope import require_case_in_scope

NOTICE_LEAD_TIME = timedelta(days=3)
MIN_BASIS_LENGTH = 6


@dataclass(frozen=True, slots=True)
class HearingDraft:
    """What a clerk enters to schedule a hearing (times timezone-aware)."""

    case_id: int
    courtroom_id: int
    starts_at: datetime
    expected_end_at: datetime
    is_public: bool
    non_public_reason: str | None = None


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


def publication_deadline(starts_at: datetime) -> datetime:
    """The latest moment a notice of a hearing starting at ``starts_at`` may be published normally."""
    return starts_at - NOTICE_LEAD_TIME


def schedule_hearing(db: Session, actor: Principal, draft: HearingDraft, *, now: datetime) -> Hearing:
    """Create a hearing after checking the case, courtroom, times and the non-public reason.

    Raises NotFoundError (case or courtroom unknown or outside the clerk's court), InvalidInputError.
    """
    case = require_case_in_scope(db, actor, draft.case_id)
    room = db.get(Courtroom, draft.courtroom_id)
    if room is None or room.court_id != case.court_id:
        raise NotFoundError("courtroom not found in the case's court")
    if draft.starts_at.tzinfo is None or draft.expected_end_at.tzinfo is None:
        raise InvalidInputError("times must carry a time zone (e.g. 2026-05-01T09:00:00+08:00)")
    if not draft.starts_at < draft.expected_end_at <= draft.starts_at + timedelta(days=2):
        raise InvalidInputError("the expected end must be after the start and within two days of it")
    if draft.starts_at <= now:
        raise InvalidInputError("a hearing can only be scheduled in the future")
    reason = (draft.non_public_reason or "").strip() or None
    if not draft.is_public and (reason is None or len(reason) < MIN_BASIS_LENGTH):
        raise InvalidInputError(
            "a non-public hearing needs its legal reason (e.g. 涉及个人隐私，依法不公开审理)"
        )
    hearing = Hearing(
        case_id=case.id,
        courtroom_id=room.id,
        starts_at=draft.starts_at,
        expected_end_at=draft.expected_end_at,
        is_public=draft.is_public,
        non_public_reason=None if draft.is_public else reason,
        created_by=actor.user_id or 0,
        created_at=now,
    )
    db.add(hearing)
    db.flush()
    append(db, AuditEntry(actor.actor, AuditAction.HEARING_SCHEDULED, f"hearing:{hearing.id}"), at=now)
    return hearing


def publish_notice(
    db: Session, actor: Principal, hearing_id: int, *, now: datetime, exception_basis: str | None = None
) -> Notice:
    """Publish the notice of a hearing, enforcing the three-day rule.

    Raises NotFoundError (hearing unknown or outside the clerk's court), RuleViolationError (already
    published, cancelled, already started, or late without a legal basis of at least 6 characters).
    """
    hearing = db.get(Hearing, hearing_id)
    if hearing is None:
        raise NotFoundError("hearing not found")
    require_case_in_scope(db, actor, hearing.case_id)
    if db.scalar(select(Notice.id).where(Notice.hearing_id == hearing.id)) is not None:
        raise RuleViolationError("the notice of this hearing has already been published")
    if hearing.status == HearingStatus.CANCELLED or hearing.starts_at <= now:
        raise RuleViolationError("the hearing has been cancelled or has already started")
    basis = (exception_basis or "").strip() or None
    late = now > publication_deadline(hearing.starts_at)
    if late and (basis is None or len(basis) < MIN_BASIS_LENGTH):
        raise RuleViolationError(
            "开庭公告应当在开庭三日前发布（最高人民法院关于推进司法公开三大平台建设的若干意见第八条）。"
            f" The deadline was {publication_deadline(hearing.starts_at).isoformat()}; to publish later,"
            " record the legal basis of the exception (exception_basis)."
        )
    notice = Notice(
        hearing_id=hearing.id,
        published_at=now,
        published_by=actor.user_id or 0,
        late_exception_basis=basis if late else None,
    )
    db.add(notice)
    db.flush()
    detail: dict[str, str | bool | None] = {"late": late, "exception_basis": notice.late_exception_basis}
    append(
        db,
        AuditEntry(actor.actor, AuditAction.NOTICE_PUBLISHED, f"hearing:{hearing.id}", detail=detail),
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
    """Upcoming notices (hearings not yet ended, not cancelled), soonest first.

    ``on_date`` is a calendar date in ``zone`` (the court's local time); ``court_code`` filters by court.
    """
    query = _notice_query().where(Hearing.status != HearingStatus.CANCELLED)
    if on_date is not None:
        start = datetime.combine(on_date, time.min, tzinfo=zone)
        query = query.where(Hearing.starts_at >= start, Hearing.starts_at < start + timedelta(days=1))
    else:
        query = query.where(Hearing.expected_end_at >= now)
    if court_code:
        query = query.where(Court.code == court_code)
    rows = db.execute(query.order_by(Hearing.starts_at, Notice.id).limit(limit)).all()
    return [_view(db, row) for row in rows]


def get_notice(db: Session, notice_id: int) -> NoticeView:
    """One published notice; NotFoundError when there is none with this id."""
    row = db.execute(_notice_query().where(Notice.id == notice_id)).first()
    if row is None:
        raise NotFoundError("notice not found")
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
    )
