"""The room's schedule on the courtroom PC's disk, so a portal or network outage (or a restart
during one) does not stop a scheduled recording.

The file is replaced atomically (temp name, fsync, rename, directory fsync); a damaged file is
reported and kept aside, never silently taken for an empty schedule.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from capture.service.durable_file import replace_durably
from capture.service.schedule.schedule import RoomSchedule, ScheduleError, parse_schedule

logger = logging.getLogger(__name__)

CACHE_NAME = "schedule-cache.json"


class ScheduleCache:
    """The cached schedule at ``directory/schedule-cache.json``."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / CACHE_NAME

    def load(self) -> RoomSchedule | None:
        """The cached schedule, or None when there is none or it cannot be read (logged)."""
        try:
            text = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            logger.error("schedule cache %s cannot be read: %s", self.path, exc.strerror or exc)
            return None
        try:
            return parse_schedule(text, where=str(self.path))
        except ScheduleError as exc:
            logger.error("schedule cache is damaged and is ignored (kept as .bad): %s", exc)
            os.replace(self.path, self.path.with_suffix(".bad"))
            return None

    def save(self, schedule: RoomSchedule) -> None:
        """Replace the cache with ``schedule`` durably; raises OSError when the disk refuses."""
        replace_durably(self.path, schedule.to_json().encode("utf-8"))
