"""What a capture device reports about itself (telemetry, heartbeats): battery and free storage."""

from __future__ import annotations

import shutil
from pathlib import Path

POWER_SUPPLY = Path("/sys/class/power_supply")


def battery_percent(root: Path = POWER_SUPPLY) -> int | None:
    """The first battery's charge in percent (Linux power_supply class), or None when the machine
    has none or it cannot be read ("unknown")."""
    try:
        supplies = sorted(root.iterdir())
    except OSError:
        return None
    for supply in supplies:
        try:
            if (supply / "type").read_text().strip() != "Battery":
                continue
            value = int((supply / "capacity").read_text().strip())
        except (OSError, ValueError):
            continue
        return max(0, min(100, value))
    return None


def free_bytes(spool: Path) -> int:
    """Free bytes on the spool's file system (0 when it cannot be read)."""
    try:
        return shutil.disk_usage(spool).free
    except OSError:
        return 0
