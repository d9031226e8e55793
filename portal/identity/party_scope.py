"""Object-level authorization for parties: a party reaches only its own case, that case's
recordings (those linked to the case, and those linked to the case's enforcement actions), its own
review requests and its own grants. Anything else is "not found"."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.errors import NotFoundError, PermissionDeniedError
from portal.identity.actor import Actor
from portal.models import EnforcementAction, EnforcementActionRecording, Grant, Recording, ReviewRequest


def _require_party(actor: Actor) -> tuple[int, int]:
    if actor.party_id is None or actor.case_id is None:
        raise PermissionDeniedError("此功能仅供凭案号登录的当事人使用")
    return actor.party_id, actor.case_id


def own_recording(db: Session, actor: Actor, recording_id: str) -> Recording:
    """A recording of the party's own case; NotFoundError otherwise."""
    _party_id, case_id = _require_party(actor)
    recording = db.get(Recording, recording_id)
    if recording is None or (
        recording.case_id != case_id and not _linked_by_action(db, recording.id, case_id)
    ):
        raise NotFoundError()
    return recording


def _linked_by_action(db: Session, recording_id: str, case_id: int) -> bool:
    """True when the recording is linked to an enforcement action of ``case_id``."""
    found = db.scalar(
        select(EnforcementActionRecording.recording_id)
        .join(EnforcementAction, EnforcementAction.id == EnforcementActionRecording.action_id)
        .where(EnforcementActionRecording.recording_id == recording_id, EnforcementAction.case_id == case_id)
        .limit(1)
    )
    return found is not None


def own_request(db: Session, actor: Actor, request_id: int) -> ReviewRequest:
    """A review request the party made itself; NotFoundError otherwise."""
    party_id, _case_id = _require_party(actor)
    request = db.get(ReviewRequest, request_id)
    if request is None or request.party_id != party_id:
        raise NotFoundError()
    return request


def require_own_grant(actor: Actor, grant: Grant | None) -> Grant:
    """``grant`` if it was made to the party ``actor``; NotFoundError otherwise."""
    party_id, _case_id = _require_party(actor)
    if grant is None or grant.party_id != party_id:
        raise NotFoundError()
    return grant
