"""Which live feeds an operator may watch: the rooms of its courts (its own court and the courts it is
granted in ``operator_courts``); an administrator watches every feed.

Feeds are named ``room/stream`` by courtroom code, and a courtroom code is unique only within its
court. A room code that several courts use is therefore in scope only when every court using it is:
an operator never sees another court's feed because the two courts named a room alike (deny by
default).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.identity.actor import Actor
from portal.models import Case, Court, Courtroom, Hearing, OperatorCourt, Role
from streaming.server.auth import FeedScope, RoomPlace

SEVERAL_COURTS = "多个法院"
CASE_WINDOW = timedelta(days=1)  # the wall names the cases heard within this of now


def operator_court_ids(db: Session, actor: Actor) -> frozenset[int]:
    """The courts ``actor`` watches: its own court and those granted to it (none for parties)."""
    if actor.is_party or actor.user_id is None:
        return frozenset()
    granted = db.scalars(select(OperatorCourt.court_id).where(OperatorCourt.user_id == actor.user_id))
    own = {actor.court_id} if actor.court_id is not None else set()
    return frozenset(own | set(granted))


def feed_scope_of(db: Session, actor: Actor) -> FeedScope:
    """The feeds ``actor`` may watch: every feed for an administrator, else the feeds of the rooms of
    its courts (see the module docstring for room codes several courts use)."""
    if actor.role == Role.ADMIN and not actor.is_party:
        return FeedScope.everything()
    courts = operator_court_ids(db, actor)
    if not courts:
        return FeedScope.of_rooms(())
    codes = select(Courtroom.code).where(Courtroom.court_id.in_(courts))
    holders: dict[str, set[int]] = {}
    for code, court_id in db.execute(
        select(Courtroom.code, Courtroom.court_id).where(Courtroom.code.in_(codes))
    ):
        holders.setdefault(code, set()).add(court_id)
    return FeedScope.of_rooms(code for code, held_by in holders.items() if held_by <= courts)


def room_places(db: Session, scope: FeedScope, *, now: datetime) -> dict[str, RoomPlace]:
    """The courtrooms of ``scope`` by code, named as people name them (court and courtroom), for the
    wall, each with the official numbers of the cases heard there within a day of ``now`` by their
    device code. A code several courts use is named by the first courtroom and ``SEVERAL_COURTS``,
    and carries no case numbers (whose case a device code means is then not known)."""
    query = select(Courtroom.id, Courtroom.code, Courtroom.name, Court.name).join(
        Court, Court.id == Courtroom.court_id
    )
    if scope.rooms is not None:
        query = query.where(Courtroom.code.in_(scope.rooms))
    places: dict[str, RoomPlace] = {}
    first_room: dict[str, int] = {}
    for room_id, code, room_name, court_name in db.execute(query.order_by(Courtroom.id)):
        known = places.get(code)
        court = court_name if known is None or known.court == court_name else SEVERAL_COURTS
        places[code] = RoomPlace(court=court, name=known.name if known else room_name)
        first_room.setdefault(code, room_id)
    numbers = _case_numbers_about(db, set(first_room.values()), now)
    for code, room_id in first_room.items():
        if places[code].court != SEVERAL_COURTS and numbers.get(room_id):
            places[code] = RoomPlace(places[code].court, places[code].name, numbers[room_id])
    return places


def _case_numbers_about(db: Session, room_ids: set[int], now: datetime) -> dict[int, dict[str, str]]:
    """``{courtroom id: {device case code: official number}}`` of hearings within a day of ``now``."""
    if not room_ids:
        return {}
    rows = db.execute(
        select(Hearing.courtroom_id, Case.agent_code, Case.number)
        .join(Case, Case.id == Hearing.case_id)
        .where(
            Hearing.courtroom_id.in_(room_ids),
            Case.agent_code.is_not(None),
            Hearing.starts_at <= now + CASE_WINDOW,
            Hearing.expected_end_at >= now - CASE_WINDOW,
        )
    )
    numbers: dict[int, dict[str, str]] = {}
    for room_id, code, number in rows:
        if code is not None:
            numbers.setdefault(room_id, {})[code] = number
    return numbers
