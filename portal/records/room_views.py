"""What the staff pages show of the courtroom recorders: each room of the caller's courts with its
recorder's latest state and the hearings that should be recording and are not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.identity.actor import Actor
from portal.identity.staff_scope import in_court_scope
from portal.models import Court, Courtroom, Hearing, RoomState
from portal.records.recorder_watch import (
    STATE_NAMES,
    ReadinessView,
    UnrecordedHearing,
    is_fresh,
    not_recording_reason,
    readiness_view,
    source_problems,
    unrecorded_hearings,
)


@dataclass(frozen=True, slots=True)
class RoomView:
    """One courtroom and its recorder's latest state (``state`` None: never reported)."""

    courtroom_id: int
    court_name: str
    name: str
    code: str
    state: RoomState | None
    state_name: str
    fresh: bool
    sources: list[tuple[str, list[str]]]
    readiness: ReadinessView | None = None  # the clerk's last readiness check of the recording


@dataclass(frozen=True, slots=True)
class HearingRecorder:
    """A hearing's room recorder as the hearing page shows it, and its alarm if any."""

    room: RoomView
    recording_this: bool
    alarm: str | None


def courts_in_scope(db: Session, staff: Actor) -> list[Court]:
    """The courts ``staff`` may see."""
    return [c for c in db.scalars(select(Court).order_by(Court.name)) if in_court_scope(staff, c.id)]


def room_views(db: Session, staff: Actor, *, now: datetime) -> list[RoomView]:
    """Every courtroom of the caller's courts, by court and name."""
    courts = {c.id: c for c in courts_in_scope(db, staff)}
    rooms = db.scalars(
        select(Courtroom).where(Courtroom.court_id.in_(courts)).order_by(Courtroom.court_id, Courtroom.name)
    )
    return [_view(db, room, courts[room.court_id].name, now=now) for room in rooms]


def alarms_in_scope(db: Session, staff: Actor, *, now: datetime) -> list[UnrecordedHearing]:
    """The hearings of the caller's courts that should be recording and are not."""
    return unrecorded_hearings(db, [c.id for c in courts_in_scope(db, staff)], now=now)


def hearing_recorder(db: Session, hearing: Hearing, *, now: datetime) -> HearingRecorder:
    """The recorder of ``hearing``'s room (the caller's scope is checked by whoever found the hearing)."""
    room = db.get(Courtroom, hearing.courtroom_id)
    court = db.get(Court, room.court_id) if room is not None else None
    if room is None or court is None:
        raise LookupError(f"hearing {hearing.id} has no courtroom")
    view = _view(db, room, court.name, now=now)
    alarms = {a.hearing_id: a for a in unrecorded_hearings(db, [court.id], now=now)}
    alarm = alarms.get(hearing.id)
    recording_this = not_recording_reason(view.state, hearing.id, now=now) is None
    return HearingRecorder(view, recording_this, alarm.reason if alarm else None)


def _view(db: Session, room: Courtroom, court_name: str, *, now: datetime) -> RoomView:
    state = db.get(RoomState, room.id)
    fresh = is_fresh(state, now)
    if state is None:
        name = "从未上报"
    elif not fresh:
        name = "失联（上报中断）"
    else:
        name = STATE_NAMES.get(state.state.value, state.state.value)
    sources = source_problems(state) if state is not None else []
    readiness = readiness_view(state) if state is not None else None
    return RoomView(room.id, court_name, room.name, room.code, state, name, fresh, sources, readiness)
