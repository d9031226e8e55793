"""The clerk's close: a hearing that has opened is marked held (闭庭). The courtroom's recorder
service stops the hearing's recording when it sees the close in its schedule (and, failing that, at
the expected end plus its grace period). Audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction, AuditEntry, append
from portal.errors import RuleViolationError
from portal.identity.actor import Actor
from portal.identity.staff_scope import require_hearing_in_scope
from portal.models import Hearing, HearingStatus


def close_hearing(db: Session, actor: Actor, hearing_id: int, *, now: datetime) -> Hearing:
    """Mark a scheduled hearing that has started as held.

    Raises NotFoundError (unknown or another court's), RuleViolationError (not scheduled, or not
    started yet: a hearing that has not opened is cancelled or moved instead).
    """
    hearing = require_hearing_in_scope(db, actor, hearing_id)
    if hearing.status != HearingStatus.SCHEDULED:
        state = {"held": "已闭庭", "cancelled": "已取消"}.get(hearing.status.value, hearing.status.value)
        raise RuleViolationError(f"只有尚未闭庭的庭审才能闭庭（本次开庭{state}）")
    if now < hearing.starts_at:
        raise RuleViolationError("尚未开庭的庭审不能闭庭；如不再开庭，请取消或改期")
    hearing.status = HearingStatus.HELD
    hearing.revision += 1
    db.flush()
    entry = AuditEntry(
        actor.audit_name, AuditAction.HEARING_CLOSED, f"hearing:{hearing.id}", detail={"at": now.isoformat()}
    )
    append(db, entry, at=now)
    return hearing


def close_at_console(
    db: Session, room_id: int, hearing_id: int, *, by: str, at: datetime, now: datetime
) -> bool:
    """The clerk closed ``hearing_id`` at the courtroom's console (``by``, at ``at``), as the room's
    recorder reports: mark it held like :func:`close_hearing` when it is a started, scheduled hearing
    of that room; anything else (already closed, another room's) is left alone. True when closed."""
    hearing = db.get(Hearing, hearing_id)
    if (
        hearing is None
        or hearing.courtroom_id != room_id
        or hearing.status != HearingStatus.SCHEDULED
        or now < hearing.starts_at
    ):
        return False
    hearing.status = HearingStatus.HELD
    hearing.revision += 1
    db.flush()
    detail = {"at": at.isoformat(), "by": by, "via": "courtroom console"}
    append(
        db, AuditEntry("agent", AuditAction.HEARING_CLOSED, f"hearing:{hearing.id}", detail=detail), at=now
    )
    return True
