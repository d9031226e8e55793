"""A courtroom's schedule as the portal's agent API gives it: the room's hearings for the next days.

One frozen value per hearing and one :func:`parse_schedule` that names what was wrong in a document
from the portal or the on-disk cache (the service then keeps the schedule it had).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from capture.errors import CaptureError


class ScheduleError(CaptureError):
    """A schedule document (from the portal or the cache) is not valid."""


class HearingState(StrEnum):
    """A hearing's status in the portal: scheduled, held (closed by the clerk) or cancelled."""

    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class ScheduledHearing:
    """One hearing of the room: its id, case number, courtroom, times (UTC) and status."""

    hearing_id: int
    case_number: str
    courtroom: str
    starts_at: datetime
    expected_end_at: datetime
    state: HearingState
    revision: int = 0
    courtroom_name: str = ""  # the name people read, e.g. 第一法庭 (older portals send none)

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.expected_end_at.tzinfo is None:
            raise ScheduleError(f"hearing {self.hearing_id}: times must carry a time zone")
        if self.expected_end_at <= self.starts_at:
            raise ScheduleError(f"hearing {self.hearing_id}: 'expected_end_at' must be after 'starts_at'")


@dataclass(frozen=True, slots=True)
class RoomSchedule:
    """The room's hearings as of ``fetched_at`` (the portal's time when it answered)."""

    court: str
    room: str
    fetched_at: datetime
    hearings: tuple[ScheduledHearing, ...]

    def to_json(self) -> str:
        """The document :func:`parse_schedule` reads back (the cache's format, and the portal's)."""
        return json.dumps(
            {
                "court": self.court,
                "room": self.room,
                "generated_at": self.fetched_at.isoformat(),
                "hearings": [hearing_fields(h) for h in self.hearings],
            },
            ensure_ascii=False,
            sort_keys=True,
        )


def hearing_fields(hearing: ScheduledHearing) -> dict[str, object]:
    """One hearing as the JSON object :func:`parse_hearing` reads."""
    return {
        "hearing_id": hearing.hearing_id,
        "case_number": hearing.case_number,
        "courtroom": hearing.courtroom,
        "starts_at": hearing.starts_at.isoformat(),
        "expected_end_at": hearing.expected_end_at.isoformat(),
        "status": hearing.state.value,
        "revision": hearing.revision,
        "courtroom_name": hearing.courtroom_name,
    }


def parse_schedule(text: str | bytes, *, where: str) -> RoomSchedule:
    """Parse a schedule document; raises ScheduleError naming ``where`` and the bad field."""
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ScheduleError(f"{where}: not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise ScheduleError(f"{where}: expected a JSON object")
    hearings = document.get("hearings")
    if not isinstance(hearings, list):
        raise ScheduleError(f"{where}: 'hearings' must be a list")
    return RoomSchedule(
        court=_text(document, "court", where),
        room=_text(document, "room", where),
        fetched_at=_time(document, "generated_at", where),
        hearings=tuple(
            parse_hearing(item, f"{where}: hearing #{n}") for n, item in enumerate(hearings, start=1)
        ),
    )


def parse_hearing(item: object, where: str) -> ScheduledHearing:
    """One hearing object of a schedule; raises ScheduleError naming ``where`` and the bad field."""
    if not isinstance(item, dict):
        raise ScheduleError(f"{where}: expected an object")
    status = _text(item, "status", where)
    try:
        state = HearingState(status)
    except ValueError as exc:
        accepted = ", ".join(s.value for s in HearingState)
        raise ScheduleError(f"{where}: 'status' must be one of {accepted} (got {status!r})") from exc
    return ScheduledHearing(
        hearing_id=_integer(item, "hearing_id", where),
        case_number=_text(item, "case_number", where),
        courtroom=_text(item, "courtroom", where),
        starts_at=_time(item, "starts_at", where),
        expected_end_at=_time(item, "expected_end_at", where),
        state=state,
        revision=_integer(item, "revision", where) if "revision" in item else 0,
        courtroom_name=_text(item, "courtroom_name", where) if "courtroom_name" in item else "",
    )


def _text(fields: dict[str, object], name: str, where: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str):
        raise ScheduleError(f"{where}: {name!r} must be a string (got {value!r})")
    return value


def _integer(fields: dict[str, object], name: str, where: str) -> int:
    value = fields.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ScheduleError(f"{where}: {name!r} must be an integer (got {value!r})")
    return value


def _time(fields: dict[str, object], name: str, where: str) -> datetime:
    text = _text(fields, name, where)
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ScheduleError(f"{where}: {name!r} is not an ISO 8601 time (got {text!r})") from exc
    if value.tzinfo is None:
        raise ScheduleError(f"{where}: {name!r} must carry a time zone (got {text!r})")
    return value
