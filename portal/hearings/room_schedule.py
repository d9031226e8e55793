"""A courtroom's schedule for its recorder service: the room's hearings for the next days, with
their status (scheduled, held by the clerk's close, cancelled) and current times (a moved hearing
shows its new times), plus those still running or recently ended (the recorder's grace period)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.errors import NotFoundError
from portal.models import Case, Court, Courtroom, Hearing

LOOK_BACK = timedelta(hours=12)  # hearings that ended this recently are still listed (grace periods)
MAX_DAYS = 31


@dataclass(frozen=True, slots=True)
class RoomHearing:
    """One hearing as the recorder service sees it."""

    hearing_id: int
    case_number: str
    courtroom: str
    starts_at: datetime
    expected_end_at: datetime
    status: str
    revision: int
    courtroom_name: str


def find_courtroom(db: Session, court_code: str, room_code: str) -> Courtroom:
    """The courtroom ``room_code`` of the court ``court_code``; NotFoundError naming both otherwise."""
    room = db.scalar(
        select(Courtroom)
        .join(Court, Courtroom.court_id == Court.id)
        .where(Court.code == court_code, Courtroom.code == room_code)
    )
    if room is None:
        raise NotFoundError(f"法院 {court_code} 没有法庭 {room_code}")
    return room


def room_schedule(db: Session, room: Courtroom, *, now: datetime, days: int) -> list[RoomHearing]:
    """The hearings of ``room`` from ``LOOK_BACK`` ago until ``days`` days ahead, by start time."""
    rows = db.execute(
        select(Hearing, Case.number)
        .join(Case, Hearing.case_id == Case.id)
        .where(
            Hearing.courtroom_id == room.id,
            Hearing.expected_end_at >= now - LOOK_BACK,
            Hearing.starts_at <= now + timedelta(days=min(max(days, 1), MAX_DAYS)),
        )
        .order_by(Hearing.starts_at, Hearing.id)
    )
    return [
        RoomHearing(
            hearing.id,
            number,
            room.code,
            hearing.starts_at,
            hearing.expected_end_at,
            hearing.status.value,
            hearing.revision,
            room.name,
        )
        for hearing, number in rows
    ]
