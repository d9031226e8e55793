"""The clerk's withdrawal of a replay (and its restoration): audited, and the audit log is where it
is kept — the last withdraw-or-restore record of a hearing decides (see ``policy.withdrawn_replays``).
A withdrawn replay stops at once: its page answers "已撤回", and every segment request is refused.

A withdrawal can always be undone, so there is no "for good" here: a withdrawn masked replay keeps
its masked copy (masked_rendition.py; never served while withdrawn, and a restore plays it again
without masking anew). The copy goes when the recording goes: retention's disposal deletes
``replays-masked/{recording}/`` with the recording (archive.retention.disposal)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction, AuditEntry, JsonValue, append
from portal.broadcasting.schedule import hearing_target
from portal.errors import InvalidInputError, RuleViolationError
from portal.identity.actor import Actor
from portal.identity.staff_scope import require_hearing_in_scope
from portal.replays.policy import withdrawn_replays

MIN_REASON = 2
MAX_REASON = 300


def withdraw_replay(
    db: Session, actor: Actor, hearing_id: int, reason: str, *, now: datetime, ip: str = ""
) -> None:
    """Withdraw the replay of ``hearing_id`` for ``reason``.

    Raises NotFoundError (unknown or another court's hearing), InvalidInputError (no reason),
    RuleViolationError (already withdrawn).
    """
    require_hearing_in_scope(db, actor, hearing_id)
    text = " ".join(reason.split())
    if not MIN_REASON <= len(text) <= MAX_REASON:
        raise InvalidInputError(f"请填写撤回理由（{MIN_REASON}至{MAX_REASON}个字）")
    if hearing_id in withdrawn_replays(db, [hearing_id]):
        raise RuleViolationError("本场庭审的回放已经撤回")
    detail: dict[str, JsonValue] = {"reason": text}
    entry = AuditEntry(
        actor.audit_name, AuditAction.REPLAY_WITHDRAWN, hearing_target(hearing_id), ip=ip, detail=detail
    )
    append(db, entry, at=now)


def restore_replay(db: Session, actor: Actor, hearing_id: int, *, now: datetime, ip: str = "") -> None:
    """Make the withdrawn replay of ``hearing_id`` public again.

    Raises NotFoundError (unknown or another court's hearing), RuleViolationError (not withdrawn).
    """
    require_hearing_in_scope(db, actor, hearing_id)
    if hearing_id not in withdrawn_replays(db, [hearing_id]):
        raise RuleViolationError("本场庭审的回放没有撤回，无需恢复")
    entry = AuditEntry(actor.audit_name, AuditAction.REPLAY_RESTORED, hearing_target(hearing_id), ip=ip)
    append(db, entry, at=now)
