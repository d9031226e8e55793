"""Review of recordings: a party applies, a clerk or judge approves with a time window or rejects with
a reason, and may revoke a grant at any time. Every step is written to the audit log.

A grant is checked on every playlist and segment request (``active_grant``), so revocation or the
end of the window stops new segment URLs at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction, AuditEntry, append
from portal.errors import InvalidInputError, NotFoundError, PermissionDeniedError, RuleViolationError
from portal.identity.actor import Actor
from portal.identity.party_scope import own_recording, require_own_grant
from portal.identity.staff_scope import require_recording_in_scope
from portal.models import Grant, Recording, ReviewRequest, ReviewStatus, Role

_DECIDED = {"approved": "已批准", "rejected": "已驳回"}

MAX_GRANT_WINDOW = timedelta(days=30)
SEALED_BY_JUDGE_ONLY = "只有法官可以准许查阅封存部分。"
MIN_TEXT_LENGTH = 2


@dataclass(frozen=True, slots=True)
class Window:
    """When a grant may be used: [not_before, not_after), timezone-aware."""

    not_before: datetime
    not_after: datetime


def apply_for_review(
    db: Session, party: Actor, recording_id: str, purpose: str, *, now: datetime, ip: str = ""
) -> ReviewRequest:
    """Record a party's application to review a recording of its own case.

    Raises NotFoundError (not the party's recording), InvalidInputError (no purpose), RuleViolationError
    (the recording is not archived yet, or an application for it is already pending).
    """
    recording = own_recording(db, party, recording_id)
    purpose = purpose.strip()
    if len(purpose) < MIN_TEXT_LENGTH:
        raise InvalidInputError("请填写申请查阅录像的理由")
    if not recording.in_bucket or recording.segment_count == 0:
        raise RuleViolationError("该录像尚未归档，请稍后再申请")
    pending = db.scalar(
        select(ReviewRequest.id).where(
            ReviewRequest.party_id == party.party_id,
            ReviewRequest.recording_id == recording.id,
            ReviewRequest.status == ReviewStatus.PENDING,
        )
    )
    if pending is not None:
        raise RuleViolationError("您对该录像的查阅申请正在审核中，请勿重复申请")
    request = ReviewRequest(
        party_id=party.party_id, recording_id=recording.id, purpose=purpose[:500], created_at=now
    )
    db.add(request)
    db.flush()
    entry = AuditEntry(
        party.audit_name,
        AuditAction.REVIEW_APPLIED,
        f"review:{request.id}",
        ip=ip,
        detail={"recording": recording.id},
    )
    append(db, entry, at=now)
    return request


def approve(
    db: Session,
    staff: Actor,
    request_id: int,
    window: Window,
    *,
    now: datetime,
    ip: str = "",
    include_sealed: bool = False,
) -> Grant:
    """Approve a pending application with a time window; returns the new grant. ``include_sealed``
    lets the party play the recording's sealed spans too: a judge's decision only.

    Raises NotFoundError (unknown, or outside the decider's court), RuleViolationError (not pending),
    InvalidInputError (window empty, already over, longer than 30 days, or without time zones),
    PermissionDeniedError (``include_sealed`` by anyone but a judge).
    """
    if include_sealed and staff.role != Role.JUDGE:
        raise PermissionDeniedError(SEALED_BY_JUDGE_ONLY)
    request = _pending_request(db, staff, request_id)
    if window.not_before.tzinfo is None or window.not_after.tzinfo is None:
        raise InvalidInputError("查阅期限的时间须带时区")
    if not window.not_before < window.not_after or window.not_after <= now:
        raise InvalidInputError("查阅期限的结束时间须晚于开始时间且在将来")
    if window.not_after - window.not_before > MAX_GRANT_WINDOW:
        raise InvalidInputError("查阅期限最长 30 天")
    request.status, request.decided_by, request.decided_at = ReviewStatus.APPROVED, staff.user_id, now
    grant = Grant(
        request_id=request.id,
        party_id=request.party_id,
        recording_id=request.recording_id,
        not_before=window.not_before,
        not_after=window.not_after,
        granted_by=staff.user_id or 0,
        granted_at=now,
        include_sealed=include_sealed,
    )
    db.add(grant)
    db.flush()
    detail: dict[str, str | int | bool] = {
        "grant": grant.id,
        "not_before": window.not_before.isoformat(),
        "not_after": window.not_after.isoformat(),
        "include_sealed": include_sealed,
    }
    append(
        db,
        AuditEntry(
            staff.audit_name, AuditAction.REVIEW_APPROVED, f"review:{request.id}", ip=ip, detail=detail
        ),
        at=now,
    )
    return grant


def reject(
    db: Session, staff: Actor, request_id: int, reason: str, *, now: datetime, ip: str = ""
) -> ReviewRequest:
    """Reject a pending application with a reason the party will see.

    Raises NotFoundError, RuleViolationError (not pending), InvalidInputError (no reason).
    """
    reason = reason.strip()
    if len(reason) < MIN_TEXT_LENGTH:
        raise InvalidInputError("驳回须填写理由")
    request = _pending_request(db, staff, request_id)
    request.status, request.decided_by, request.decided_at = ReviewStatus.REJECTED, staff.user_id, now
    request.decision_reason = reason[:500]
    db.flush()
    entry = AuditEntry(
        staff.audit_name,
        AuditAction.REVIEW_REJECTED,
        f"review:{request.id}",
        ip=ip,
        detail={"reason": request.decision_reason},
    )
    append(db, entry, at=now)
    return request


def revoke(db: Session, staff: Actor, grant_id: int, reason: str, *, now: datetime, ip: str = "") -> Grant:
    """Revoke a grant now; playlists and segment URLs stop being issued from the next request on.

    Raises NotFoundError (unknown, or outside the staff member's court), RuleViolationError (already
    revoked), InvalidInputError (no reason).
    """
    reason = reason.strip()
    if len(reason) < MIN_TEXT_LENGTH:
        raise InvalidInputError("撤销须填写理由")
    grant = db.get(Grant, grant_id)
    if grant is None:
        raise NotFoundError()
    require_recording_in_scope(db, staff, grant.recording_id)
    if grant.revoked_at is not None:
        raise RuleViolationError("该查阅许可已被撤销")
    grant.revoked_at, grant.revoked_by, grant.revoke_reason = now, staff.user_id, reason[:500]
    db.flush()
    entry = AuditEntry(
        staff.audit_name,
        AuditAction.GRANT_REVOKED,
        f"grant:{grant.id}",
        ip=ip,
        detail={"reason": grant.revoke_reason},
    )
    append(db, entry, at=now)
    return grant


def active_grant(db: Session, party: Actor, grant_id: int, *, now: datetime) -> tuple[Grant, Recording]:
    """The party's own grant and its recording, if usable right now.

    Raises NotFoundError (not the party's grant), PermissionDeniedError (revoked, not yet valid, expired).
    """
    return usable_grant(read_grant(db, grant_id), party, now=now)


GrantRecord = tuple[Grant, Recording | None]


def read_grant(db: Session, grant_id: int) -> GrantRecord | None:
    """The grant ``grant_id`` with its recording (None when no longer indexed); None if no such grant."""
    grant = db.get(Grant, grant_id)
    return None if grant is None else (grant, db.get(Recording, grant.recording_id))


def usable_grant(found: GrantRecord | None, party: Actor, *, now: datetime) -> tuple[Grant, Recording]:
    """``found`` (from :func:`read_grant`) if it is ``party``'s own grant and usable at ``now``.

    Raises NotFoundError (not the party's grant), PermissionDeniedError (revoked, not yet valid, expired).
    """
    grant = require_own_grant(party, found[0] if found is not None else None)
    if not grant.active_at(now):
        raise PermissionDeniedError("该查阅许可已被撤销、已过期或尚未生效")
    recording = found[1] if found is not None else None
    if recording is None:
        raise PermissionDeniedError("该许可对应的录像已不在录像索引中")
    return grant, recording


def _pending_request(db: Session, staff: Actor, request_id: int) -> ReviewRequest:
    request = db.get(ReviewRequest, request_id)
    if request is None:
        raise NotFoundError()
    require_recording_in_scope(db, staff, request.recording_id)
    if request.status != ReviewStatus.PENDING:
        raise RuleViolationError(
            f"该申请已处理（{_DECIDED.get(request.status.value, request.status.value)}）"
        )
    return request
