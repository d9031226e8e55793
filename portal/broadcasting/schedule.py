"""Which courtroom feeds should be broadcast publicly at a given moment — decided from the database alone.

A courtroom's feed (``{courtroom code}/{stream}``) is due while a hearing there

* is marked public, is not cancelled or held, and has a published notice, and
* has started and not passed its expected end plus the grace period (hearings overrun);

and no non-public hearing of the same courtroom is inside its own window then (a non-public hearing
always wins: its courtroom is never on air). A courtroom whose code another court also uses is never
broadcast: live feeds are named by room code only, so the feed could be the other court's. A due
broadcast carries the hearing's face-masking flag (art. 12: minors, victims, witnesses).

Whether the clerk's last word on a hearing was "cut" is read from the audit log, which records every
cut and resume: a broadcast reopened after a restart stays cut until a clerk resumes it. The cuts and
resumes the portal makes itself for a sealed span (actor :data:`SEALED_SPAN_ACTOR`) are not the
clerk's word and are left out of it.

Whether a courtroom has a sealed span open is its recorder's last stored report (:func:`sealed_rooms`),
however old: a recorder that fell silent while sealed leaves its room sealed (deny by default), until
a report says the seal ended.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction
from portal.models import AuditRecord, Courtroom, Hearing, HearingStatus, Notice, RoomState
from streaming.errors import InvalidNameError
from streaming.feed_id import feed_id_of

SEALED_SPAN_ACTOR = "system"
"""Who the audit log names for the cut and resume of a public broadcast while the courtroom's clerk
has a span sealed (封存): the portal itself, following the room's recorder."""


@dataclass(frozen=True, slots=True)
class DueBroadcast:
    """A public hearing that should be on air now, and the feed that shows it."""

    hearing_id: int
    notice_id: int
    court_id: int
    feed_id: str
    mask_faces: bool = False
    sound_feed_id: str | None = None  # the room's microphone, whose sound the broadcast carries
    courtroom_id: int = 0


def hearing_target(hearing_id: int) -> str:
    """How audit records name a hearing."""
    return f"hearing:{hearing_id}"


def due_broadcasts(
    db: Session, *, now: datetime, grace: timedelta, stream: str, sound_stream: str = ""
) -> dict[str, DueBroadcast]:
    """The broadcasts due at ``now`` (timezone-aware UTC), by feed id; see the module docstring.
    ``sound_stream`` is the room's stream whose sound each carries ("" for the camera's own).

    When several public hearings of one courtroom are in their windows (one overran into the next),
    the one that started last is on air.
    """
    rows = db.execute(
        select(Hearing, Courtroom, Notice.id)
        .join(Courtroom, Hearing.courtroom_id == Courtroom.id)
        .outerjoin(Notice, Notice.hearing_id == Hearing.id)
        .where(
            Hearing.status == HearingStatus.SCHEDULED,
            Hearing.starts_at <= now,
            Hearing.expected_end_at > now - grace,
        )
        .order_by(Hearing.starts_at, Hearing.id)
    ).all()
    closed_rooms = {room.id for hearing, room, _ in rows if not hearing.is_public}
    ambiguous = _shared_codes(db, {room.code for _, room, _ in rows})
    due: dict[str, DueBroadcast] = {}
    for hearing, room, notice_id in rows:
        if not hearing.is_public or notice_id is None or room.id in closed_rooms or room.code in ambiguous:
            continue
        try:
            feed_id = feed_id_of(room.code, stream)
            sound = feed_id_of(room.code, sound_stream) if sound_stream else None
        except InvalidNameError:
            continue  # a room code no live feed can carry
        due[feed_id] = DueBroadcast(
            hearing.id, notice_id, room.court_id, feed_id, hearing.mask_faces, sound, courtroom_id=room.id
        )
    return due


def cut_by_clerk(db: Session, hearing_ids: Collection[int]) -> set[int]:
    """The hearings among ``hearing_ids`` whose last cut-or-resume audit record by a clerk is a cut."""
    if not hearing_ids:
        return set()
    targets = {hearing_target(hearing_id): hearing_id for hearing_id in hearing_ids}
    rows = db.execute(
        select(AuditRecord.target, AuditRecord.action)
        .where(
            AuditRecord.action.in_([AuditAction.BROADCAST_CUT.value, AuditAction.BROADCAST_RESUMED.value]),
            AuditRecord.target.in_(list(targets)),
            AuditRecord.actor != SEALED_SPAN_ACTOR,
        )
        .order_by(AuditRecord.seq)
    )
    last = {target: action for target, action in rows}
    return {targets[t] for t, action in last.items() if action == AuditAction.BROADCAST_CUT.value}


def _shared_codes(db: Session, codes: set[str]) -> set[str]:
    if not codes:
        return set()
    query = (
        select(Courtroom.code)
        .where(Courtroom.code.in_(list(codes)))
        .group_by(Courtroom.code)
        .having(func.count() > 1)
    )
    return set(db.scalars(query))


def sealed_rooms(db: Session) -> frozenset[int]:
    """The courtrooms whose recorder last reported a sealed span open — stale reports included: a
    seal is never taken as ended because the recorder went silent."""
    return frozenset(db.scalars(select(RoomState.courtroom_id).where(RoomState.sealed.is_(True))))
