"""Changes to a scheduled hearing: cancel it, move it, change whether it is public and whether faces
of protected participants are masked on its public broadcast. Each change is audited.

* Cancelling needs a reason; the published notice stays public, marked cancelled (取消), until the
  hearing would have ended; the broadcast scheduler never puts a cancelled hearing on air.
* Moving a hearing whose notice is published republishes the notice now, under the three-day rule
  (a late republication needs the legal basis of an exception and is flagged like a late notice).
* A non-public hearing names its legal reason; the broadcast scheduler follows on its next pass.

Only a hearing still scheduled can change; a hearing that has started cannot be moved, and one whose
expected end has passed cannot be cancelled or made (non-)public (it stays in the compliance report).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction, AuditEntry, JsonValue, append
from portal.errors import InvalidInputError, RuleViolationError
from portal.hearings.room_booking import check_room_free
from portal.hearings.rules import check_times, late_exception, non_public_reason
from portal.identity.actor import Actor
from portal.identity.staff_scope import require_hearing_in_scope
from portal.models import Hearing, HearingStatus, Notice

MIN_CANCEL_REASON_LENGTH = 2


@dataclass(frozen=True, slots=True)
class Openness:
    """Whether a hearing is public (with the legal reason when not) and masks protected faces."""

    is_public: bool
    non_public_reason: str | None = None
    mask_faces: bool = False


def cancel_hearing(db: Session, actor: Actor, hearing_id: int, reason: str, *, now: datetime) -> Hearing:
    """Cancel a hearing for ``reason`` (at least 2 characters).

    Raises NotFoundError (unknown or another court's), InvalidInputError (no reason),
    RuleViolationError (not scheduled any more, or its expected end has passed).
    """
    hearing = _changeable(db, actor, hearing_id, now=now)
    stripped = reason.strip()
    if len(stripped) < MIN_CANCEL_REASON_LENGTH:
        raise InvalidInputError("取消开庭须填写理由（如 原告撤诉）")
    hearing.status, hearing.cancelled_at, hearing.cancel_reason = HearingStatus.CANCELLED, now, stripped[:500]
    hearing.revision += 1
    db.flush()
    noticed = _notice_of(db, hearing) is not None
    detail: dict[str, JsonValue] = {"reason": hearing.cancel_reason, "notice_published": noticed}
    _audit(db, actor, AuditAction.HEARING_CANCELLED, hearing, detail, now=now)
    return hearing


def reschedule_hearing(
    db: Session,
    actor: Actor,
    hearing_id: int,
    starts_at: datetime,
    expected_end_at: datetime,
    *,
    now: datetime,
    exception_basis: str | None = None,
    double_booking_reason: str | None = None,
) -> Hearing:
    """Move a hearing that has not started; a published notice is republished now (three-day rule).

    Raises NotFoundError, InvalidInputError (times), RuleViolationError (started, not scheduled, or
    the republished notice would be late without a legal basis of at least 6 characters),
    RoomDoubleBookedError (its courtroom is taken then, and no override reason was given).
    """
    hearing = _changeable(db, actor, hearing_id, now=now)
    if hearing.starts_at <= now:
        raise RuleViolationError("已经开始的庭审不能改期；请取消后重新排期")
    check_times(starts_at, expected_end_at, now=now)
    overridden, override = check_room_free(
        db,
        hearing.courtroom_id,
        starts_at,
        expected_end_at,
        override_reason=double_booking_reason,
        ignore=hearing.id,
    )
    notice = _notice_of(db, hearing)
    basis = late_exception(starts_at, now=now, exception_basis=exception_basis) if notice else None
    detail: dict[str, JsonValue] = {
        "from": hearing.starts_at.isoformat(),
        "to": starts_at.isoformat(),
        "expected_end": expected_end_at.isoformat(),
        "notice_republished": notice is not None,
        "late": basis is not None,
        "exception_basis": basis,
    }
    if override is not None:
        detail |= {"double_booked_with": list(overridden), "double_booking_reason": override}
    hearing.starts_at, hearing.expected_end_at = starts_at, expected_end_at
    hearing.revision += 1
    if notice is not None:
        notice.published_at, notice.published_by, notice.late_exception_basis = now, actor.user_id or 0, basis
    db.flush()
    _audit(db, actor, AuditAction.HEARING_RESCHEDULED, hearing, detail, now=now)
    return hearing


def change_openness(
    db: Session, actor: Actor, hearing_id: int, openness: Openness, *, now: datetime
) -> Hearing:
    """Make a hearing public or not (a non-public one names its legal reason) and set face masking.

    Each actual change is audited (publicity and masking separately); an unchanged value is not.
    Raises NotFoundError, InvalidInputError (no reason), RuleViolationError (not scheduled or ended).
    """
    hearing = _changeable(db, actor, hearing_id, now=now)
    reason = non_public_reason(openness.is_public, openness.non_public_reason)
    if (hearing.is_public, hearing.non_public_reason) != (openness.is_public, reason):
        detail: dict[str, JsonValue] = {"public": openness.is_public, "reason": reason}
        hearing.is_public, hearing.non_public_reason = openness.is_public, reason
        hearing.revision += 1
        db.flush()
        _audit(db, actor, AuditAction.HEARING_PUBLICITY_CHANGED, hearing, detail, now=now)
    if hearing.mask_faces != openness.mask_faces:
        hearing.mask_faces = openness.mask_faces
        db.flush()
        masking: dict[str, JsonValue] = {"mask_faces": openness.mask_faces}
        _audit(db, actor, AuditAction.HEARING_MASKING_CHANGED, hearing, masking, now=now)
    return hearing


def _changeable(db: Session, actor: Actor, hearing_id: int, *, now: datetime) -> Hearing:
    hearing = require_hearing_in_scope(db, actor, hearing_id)
    if hearing.status != HearingStatus.SCHEDULED:
        raise RuleViolationError(f"该庭审已不能再修改（当前状态：{hearing.status.value}）")
    if hearing.expected_end_at <= now:
        raise RuleViolationError("该庭审按计划应已结束，不能再修改")
    return hearing


def _notice_of(db: Session, hearing: Hearing) -> Notice | None:
    return db.scalar(select(Notice).where(Notice.hearing_id == hearing.id))


def _audit(
    db: Session,
    actor: Actor,
    action: AuditAction,
    hearing: Hearing,
    detail: dict[str, JsonValue],
    *,
    now: datetime,
) -> None:
    append(db, AuditEntry(actor.audit_name, action, f"hearing:{hearing.id}", detail=detail), at=now)
