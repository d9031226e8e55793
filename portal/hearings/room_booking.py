"""A courtroom holds one hearing at a time: scheduling or moving a hearing onto another's time in the
same courtroom is refused unless the clerk overrides it with a reason (audited with the hearing).

Two hearings clash when their [start, expected end) intervals overlap; cancelled hearings free their
time. The override is for the cases a court really has (a short ruling announced during another
hearing's recess, a joint hearing of related cases); its reason is kept in the audit log.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.errors import RuleViolationError
from portal.hearings.rules import MIN_BASIS_LENGTH
from portal.models import Case, Hearing, HearingStatus


class RoomDoubleBookedError(RuleViolationError):
    """The courtroom is taken at that time by ``clashes`` (hearing id, case number, start, end)."""

    def __init__(self, clashes: list[tuple[int, str, datetime, datetime]]) -> None:
        numbers = "、".join(number for _, number, _, _ in clashes)
        super().__init__(
            f"该法庭在这段时间已安排其他开庭（{numbers}）。请另选时间或法庭；"
            f"如确需同时使用，请填写理由（至少 {MIN_BASIS_LENGTH} 个字），理由将记入审计日志"
        )
        self.clashes = clashes


def clashing_hearings(
    db: Session,
    courtroom_id: int,
    starts_at: datetime,
    expected_end_at: datetime,
    *,
    ignore: int | None = None,
) -> list[tuple[int, str, datetime, datetime]]:
    """The scheduled hearings of ``courtroom_id`` overlapping [starts_at, expected_end_at), besides
    hearing ``ignore`` (the one being moved): id, case number, start, expected end."""
    query = (
        select(Hearing.id, Case.number, Hearing.starts_at, Hearing.expected_end_at)
        .join(Case, Case.id == Hearing.case_id)
        .where(Hearing.courtroom_id == courtroom_id)
        .where(Hearing.status == HearingStatus.SCHEDULED)
        .where(Hearing.starts_at < expected_end_at, Hearing.expected_end_at > starts_at)
        .order_by(Hearing.starts_at)
    )
    if ignore is not None:
        query = query.where(Hearing.id != ignore)
    return [(row[0], row[1], row[2], row[3]) for row in db.execute(query)]


def check_room_free(
    db: Session,
    courtroom_id: int,
    starts_at: datetime,
    expected_end_at: datetime,
    *,
    override_reason: str | None,
    ignore: int | None = None,
) -> tuple[list[int], str | None]:
    """The ids of the hearings overridden and the reason to audit (([], None) when the room is free).

    Raises RoomDoubleBookedError when the room is taken and ``override_reason`` is shorter than
    ``MIN_BASIS_LENGTH`` characters (stripped)."""
    clashes = clashing_hearings(db, courtroom_id, starts_at, expected_end_at, ignore=ignore)
    if not clashes:
        return [], None
    reason = (override_reason or "").strip()
    if len(reason) < MIN_BASIS_LENGTH:
        raise RoomDoubleBookedError(clashes)
    return [hearing_id for hearing_id, _, _, _ in clashes], reason
