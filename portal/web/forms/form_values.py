"""Values typed into the staff pages' forms, parsed into what the domain functions take.

Form fields arrive as text (so a wrong value re-shows the form with a message instead of a bare
validation error); each parser raises InvalidInputError naming the field and what it accepts.
Times are entered in the court's local time (``<input type="datetime-local">``) and become
timezone-aware UTC. Free text is normalised (``portal.free_text``) and dates bounded
(``portal.date_range``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from portal.date_range import OUT_OF_RANGE_MESSAGE, in_range
from portal.errors import InvalidInputError
from portal.free_text import normalised


def text(value: str, label: str, *, max_length: int = 500, required: bool = True) -> str:
    """Free text ``value`` normalised (``portal.free_text``); InvalidInputError when required and
    empty, when what was typed was only invisible characters, or when longer than ``max_length``."""
    cleaned = normalised(value)
    if not cleaned and (required or value.strip()):
        raise InvalidInputError(f"请填写{label}（不能只含不可见字符）" if value.strip() else f"请填写{label}")
    if len(cleaned) > max_length:
        raise InvalidInputError(f"{label}不能超过 {max_length} 个字")
    return cleaned


def identifier(value: str, label: str, *, max_length: int = 64, required: bool = True) -> str:
    """An identifier with its own grammar (a case number, a device code) stripped, not normalised:
    the domain checks its form. InvalidInputError when required and empty, or too long."""
    stripped = value.strip()
    if required and not stripped:
        raise InvalidInputError(f"请填写{label}")
    if len(stripped) > max_length:
        raise InvalidInputError(f"{label}不能超过 {max_length} 个字")
    return stripped


def local_time(value: str, label: str, zone: ZoneInfo) -> datetime:
    """``YYYY-MM-DDTHH:MM`` (seconds optional) in ``zone``, as aware UTC."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError(f"{label}应为日期和时间，例如 2026-05-01T09:00") from None
    if not in_range(moment):
        raise InvalidInputError(f"{label}：{OUT_OF_RANGE_MESSAGE}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def day(value: str, label: str) -> date:
    """``YYYY-MM-DD`` within the accepted years (``portal.date_range``)."""
    try:
        chosen = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError(f"{label}应为日期，例如 2026-01-05") from None
    if not in_range(chosen):
        raise InvalidInputError(f"{label}：{OUT_OF_RANGE_MESSAGE}")
    return chosen


def record_id(value: str, label: str, *, required: bool = True) -> int | None:
    """A positive id chosen in a ``<select>``; None when optional and empty."""
    stripped = value.strip()
    if not stripped and not required:
        return None
    if not stripped.isascii() or not stripped.isdigit() or not 1 <= int(stripped) <= 2_147_483_647:
        raise InvalidInputError(f"请选择{label}")
    return int(stripped)


def yes_no(value: str, label: str) -> bool:
    """A radio choice of ``yes`` or ``no``."""
    if value not in ("yes", "no"):
        raise InvalidInputError(f"请选择{label}")
    return value == "yes"


def checked(value: str) -> bool:
    """A checkbox: present (any value) means ticked."""
    return bool(value)
