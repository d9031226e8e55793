"""What the burned-in caption says: Beijing time with its zone, the courtroom's name and the case number
as the court writes it (2017 rules, art. 4: the time overlay is what a reviewer reads off the picture).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from archive.formats.case_number import canonical_case_number

# China keeps one zone without daylight saving: a fixed offset needs no tz database on the device.
BEIJING = timezone(timedelta(hours=8), "北京时间")
ZONE_LABEL = "北京时间"


def timestamp_text(now: datetime) -> str:
    """``now`` (timezone-aware) as ``2026-12-03 17:05:09.123 北京时间(UTC+08:00)``."""
    if now.tzinfo is None:
        raise ValueError("the caption's time must carry a time zone")
    local = now.astimezone(BEIJING)
    return f"{local:%Y-%m-%d %H:%M:%S}.{local.microsecond // 1000:03d} {ZONE_LABEL}(UTC+08:00)"


def caption_text(*, room: str, room_name: str | None = None, case: str | None = None) -> str:
    """The fixed part of the caption: the courtroom's name (its code when no name is known) and the
    case number in the official spelling (brackets full-width, stray spaces removed)."""
    parts = [(room_name or "").strip() or room]
    if case and case.strip():
        parts.append(canonical_case_number(case))
    return "  ".join(parts)
