"""Object-level authorization for court staff: a staff member bound to a court reaches only that
court's cases and recordings (staff bound to no court reach none); an administrator reaches all. Parties never
pass these checks; their own scope is in ``party_scope``. Out-of-scope objects are reported as not
found, so their existence is not revealed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.errors import NotFoundError, PermissionDeniedError
from portal.identity.actor import Actor
from portal.models import Case, Court, Hearing, Recording, Role


def _require_staff(actor: Actor) -> None:
    if actor.is_party or actor.role == Role.PARTY:
        raise PermissionDeniedError("此操作仅限法院工作人员")


def in_court_scope(actor: Actor, court_id: int | None) -> bool:
    """True when ``actor`` may act on objects of ``court_id``."""
    return actor.role == Role.ADMIN or (actor.court_id is not None and actor.court_id == court_id)


def require_case_in_scope(db: Session, actor: Actor, case_id: int) -> Case:
    """The case, if ``actor`` is staff of its court; else NotFoundError (parties: PermissionDeniedError)."""
    _require_staff(actor)
    case = db.get(Case, case_id)
    if case is None or not in_court_scope(actor, case.court_id):
        raise NotFoundError()
    return case


def require_hearing_in_scope(db: Session, actor: Actor, hearing_id: int) -> Hearing:
    """The hearing, if ``actor`` is staff of its case's court; else NotFoundError (parties: denied)."""
    _require_staff(actor)
    hearing = db.get(Hearing, hearing_id)
    if hearing is None:
        raise NotFoundError()
    require_case_in_scope(db, actor, hearing.case_id)
    return hearing


def require_recording_in_scope(db: Session, actor: Actor, recording_id: str) -> Recording:
    """The recording, if ``actor`` is staff of its court (by case, else by journaled court code)."""
    _require_staff(actor)
    recording = db.get(Recording, recording_id)
    if recording is None:
        raise NotFoundError()
    if recording.case_id is not None:
        require_case_in_scope(db, actor, recording.case_id)
        return recording
    court = db.scalar(select(Court).where(Court.code == recording.court_code))
    if not in_court_scope(actor, court.id if court else None):
        raise NotFoundError()
    return recording
