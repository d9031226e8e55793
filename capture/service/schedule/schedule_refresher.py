"""Keeps the room's schedule fresh: fetched from the portal every so often and saved to the disk
cache; while the portal cannot be reached the last schedule (from memory or the cache) stays in
force, so a scheduled recording never depends on the network."""

from __future__ import annotations

import logging
import threading

from capture.service.portal_client import AgentPortalClient, PortalUnavailableError
from capture.service.schedule.schedule import RoomSchedule
from capture.service.schedule.schedule_cache import ScheduleCache
from timebase import Clock

logger = logging.getLogger(__name__)


class ScheduleRefresher:
    """Holds the schedule in force; refreshes it from ``client`` every ``interval`` seconds."""

    def __init__(
        self,
        client: AgentPortalClient | None,
        cache: ScheduleCache,
        *,
        days: int,
        interval: float,
        clock: Clock,
    ) -> None:
        self._client = client
        self._cache = cache
        self._days = days
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._schedule = cache.load()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="schedule-refresh", daemon=True)
        self._failing = False
        if self._schedule is not None:
            logger.info(
                "schedule cache: %d hearings as of %s",
                len(self._schedule.hearings),
                self._schedule.fetched_at,
            )

    @property
    def schedule(self) -> RoomSchedule | None:
        """The schedule in force (None before any was fetched or cached)."""
        with self._lock:
            return self._schedule

    def start(self) -> None:
        if self._client is not None:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def refresh_once(self) -> bool:
        """Fetch and cache the schedule once; True when the portal answered."""
        if self._client is None:
            return False
        try:
            schedule = self._client.fetch_schedule(self._days)
        except PortalUnavailableError as exc:
            if not self._failing:
                logger.warning("schedule not refreshed (%s); going on with the cached schedule", exc)
            self._failing = True
            return False
        if self._failing:
            logger.info("the portal answers again: schedule refreshed")
        self._failing = False
        with self._lock:
            self._schedule = schedule
        try:
            self._cache.save(schedule)
        except OSError as exc:
            logger.error("schedule cache %s not written: %s", self._cache.path, exc.strerror or exc)
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            self.refresh_once()
            self._clock.wait(self._stop, self._interval)
