"""Finding a court's recordings by case number, courtroom and date, named as people name them.

A recording is shown by its date, courtroom and cameras ("2026年12月03日 09:30 第一法庭"), never by the
agent's recording id; the case number matches however its brackets and spaces were typed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from portal.case_number import canonical_case_number as searchable
from portal.identity.actor import Actor
from portal.models import Case, Courtroom, Recording, Role, Verification
from portal.review.staff_access import PLAYING_ROLES


@dataclass(frozen=True, slots=True)
class RecordingListing:
    """One recording as the staff list shows it."""

    id: str
    case_id: int | None
    case_number: str | None
    courtroom: str
    started_at: datetime | None
    duration_seconds: float
    streams: tuple[str, ...]
    complete: bool
    verification: Verification


def search_recordings(
    db: Session,
    actor: Actor,
    *,
    zone: ZoneInfo,
    case_number: str | None = None,
    courtroom_id: int | None = None,
    on_date: date | None = None,
    limit: int = 200,
) -> list[RecordingListing]:
    """The recordings of the caller's court (every court for an administrator), newest first."""
    if actor.role not in PLAYING_ROLES:
        return []
    room = and_(Courtroom.court_id == Recording.court_id, Courtroom.code == Recording.room)
    query = (
        select(Recording, Case.number, Courtroom.name, Courtroom.id)
        .outerjoin(Case, Case.id == Recording.case_id)
        .outerjoin(Courtroom, room)
        .where(Recording.court_id.is_not(None))
    )
    if actor.role != Role.ADMIN:
        query = query.where(Recording.court_id == actor.court_id)
    if courtroom_id is not None:
        query = query.where(Courtroom.id == courtroom_id)
    if on_date is not None:
        start = datetime.combine(on_date, time.min, tzinfo=zone)
        query = query.where(Recording.started_at >= start, Recording.started_at < start + timedelta(days=1))
    rows = db.execute(query.order_by(Recording.started_at.desc(), Recording.id).limit(limit * 4)).all()
    wanted = searchable(case_number) if case_number else ""
    listings = [
        RecordingListing(
            id=recording.id,
            case_id=recording.case_id,
            case_number=number,
            courtroom=room_name or recording.room,
            started_at=recording.started_at,
            duration_seconds=recording.duration_seconds,
            streams=tuple(json.loads(recording.streams or "[]")),
            complete=recording.complete,
            verification=recording.verification,
        )
        for recording, number, room_name, _room_id in rows
        if not wanted or (number is not None and wanted in searchable(number))
    ]
    return listings[:limit]


def court_rooms(db: Session, actor: Actor) -> list[Courtroom]:
    """The courtrooms the caller may filter by."""
    query = select(Courtroom).order_by(Courtroom.court_id, Courtroom.name)
    if actor.role != Role.ADMIN:
        query = query.where(Courtroom.court_id == actor.court_id)
    return list(db.scalars(query))
