"""The spool's free space: an alarm hours before it runs out, and riding out a full disk.

The headroom alarm (``disk_low``, a WARNING) is raised when, at the rate the recording has been
writing lately, the free space lasts less than ``alarm_hours``; it clears with some margin above
that. When a write fails because the disk is full (ENOSPC, a quota, SQLite's "database or disk is
full"), the ``disk_full`` alarm is CRITICAL. Alarms go to sinks that need no disk (the log on the
console, the portal heartbeat, live telemetry); the journal hears about them only once space is back.

Nothing here deletes anything: space comes back when the uploader has sent (and only then deleted)
sealed segments, or when a person frees it. Evidence is never dropped to make room.
"""

from __future__ import annotations

import errno
import logging
import shutil
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from archive.journal import AlarmEvent, JournalWriter
from timebase import Clock, SystemClock

logger = logging.getLogger(__name__)

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_RATE_WINDOW_SECONDS = 120.0
_CLEAR_MARGIN = 1.25  # the headroom alarm clears only above alarm_hours * this
_WAIT_SLICE_SECONDS = 0.25


class SpaceCondition(StrEnum):
    """What a space alarm is about."""

    DISK_LOW = "disk_low"
    DISK_FULL = "disk_full"


@dataclass(frozen=True, slots=True)
class SpaceAlarm:
    """A space alarm raised (``active``) or cleared, with what was measured."""

    condition: SpaceCondition
    active: bool
    detail: str
    at: datetime
    critical: bool = False

    def line(self) -> str:
        level = "CRITICAL" if self.critical else "WARNING"
        state = "ALARM" if self.active else "cleared"
        return f"{level} {self.condition} {state}: {self.detail}"


SpaceSink = Callable[[SpaceAlarm], None]


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` (or an error it was raised from) says the disk or a quota is full."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _FULL_ERRNOS:
            return True
        if isinstance(current, sqlite3.OperationalError) and "full" in str(current).lower():
            return True
        if "No space left on device" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


@dataclass(slots=True)
class _Rate:
    """Bytes the recording wrote over the last minutes (sealed segments), for the headroom estimate."""

    samples: deque[tuple[float, int]] = field(default_factory=deque)

    def add(self, at: float, size: int) -> None:
        self.samples.append((at, size))
        while self.samples and at - self.samples[0][0] > _RATE_WINDOW_SECONDS:
            self.samples.popleft()

    def bytes_per_second(self, now: float, started: float) -> float | None:
        if not self.samples:
            return None
        span = max(now - max(started, now - _RATE_WINDOW_SECONDS), 1.0)
        return sum(size for _at, size in self.samples) / span


class SpoolSpace:
    """Watches the file system holding ``spool`` (a thread polling every ``poll_seconds``) and raises
    and clears the space alarms through its sinks. Thread-safe."""

    def __init__(
        self,
        spool: Path,
        *,
        alarm_hours: float = 2.0,
        resume_free_bytes: int = 8 << 20,
        poll_seconds: float = 2.0,
        clock: Clock | None = None,
    ) -> None:
        if alarm_hours <= 0 or resume_free_bytes < 0 or poll_seconds <= 0:
            raise ValueError(
                "need alarm_hours > 0, resume_free_bytes >= 0 and poll_seconds > 0"
                f" (got {alarm_hours}, {resume_free_bytes}, {poll_seconds})"
            )
        self._spool = spool
        self._alarm_seconds = alarm_hours * 3600.0
        self._resume_free = resume_free_bytes
        self._poll = poll_seconds
        self._clock: Clock = clock or SystemClock()
        self._sinks: list[SpaceSink] = []
        self._lock = threading.Lock()
        self._rate = _Rate()
        self._started = self._clock.monotonic()
        self._active: dict[SpaceCondition, SpaceAlarm] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add_sink(self, sink: SpaceSink) -> None:
        """Also send every alarm raised or cleared to ``sink`` (called from the raising thread)."""
        with self._lock:
            self._sinks.append(sink)

    @property
    def active(self) -> list[SpaceAlarm]:
        """The space alarms active now."""
        with self._lock:
            return list(self._active.values())

    def start(self) -> None:
        """Start watching."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="spool-space", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def wrote(self, size: int) -> None:
        """The recording sealed ``size`` bytes on the spool (feeds the rate estimate)."""
        with self._lock:
            self._rate.add(self._clock.monotonic(), size)

    def free_bytes(self) -> int:
        """Free bytes on the spool's file system (for an unprivileged writer)."""
        return shutil.disk_usage(self._spool).free

    def seconds_left(self) -> float | None:
        """How long the free space lasts at the recent write rate; None before anything was written."""
        now = self._clock.monotonic()
        with self._lock:
            rate = self._rate.bytes_per_second(now, self._started)
        return None if not rate else self.free_bytes() / rate

    def full(self, where: str, error: BaseException) -> None:
        """A write failed because the disk is full: raise the CRITICAL alarm (once per episode)."""
        self._raise(
            SpaceCondition.DISK_FULL,
            f"spool {self._spool} is full ({where}: {error}); recording is suspended and resumes by"
            " itself when space is back; sealed evidence is not deleted to make room",
            critical=True,
        )

    def wait_for_space(self, stop: threading.Event, idle: Callable[[], bool]) -> bool:
        """Block until the spool has ``resume_free_bytes`` free again: True then (the disk_full alarm
        is cleared), False when ``stop`` is set or ``idle()`` (called while waiting, e.g. to drop
        frames nobody can record) returns True to give up."""
        while True:
            if idle():
                return False
            try:
                free = self.free_bytes()
            except OSError as exc:
                logger.error("cannot measure the spool's free space: %s", exc)
                free = 0
            if free >= self._resume_free:
                self._clear(SpaceCondition.DISK_FULL, f"spool {self._spool} has {free} bytes free again")
                return True
            if self._clock.wait(stop, _WAIT_SLICE_SECONDS):
                return False

    def _watch(self) -> None:
        while not self._clock.wait(self._stop, self._poll):
            try:
                self.check()
            except OSError as exc:
                logger.error("cannot measure the spool's free space: %s", exc)

    def check(self) -> None:
        """Measure once: raise or clear the headroom alarm; clear the disk_full alarm when space is
        back (a stream waiting for space clears it as well, and then journals its gap)."""
        free = self.free_bytes()
        if free >= self._resume_free:
            self._clear(SpaceCondition.DISK_FULL, f"spool {self._spool} has {free} bytes free again")
        left = self.seconds_left()
        if left is None:
            return
        hours = left / 3600.0
        if left < self._alarm_seconds:
            self._raise(
                SpaceCondition.DISK_LOW,
                f"spool {self._spool} has {self.free_bytes()} bytes free: about {hours:.2f} h of recording"
                f" left at the recent rate (alarm below {self._alarm_seconds / 3600:.2f} h); add space or"
                " check that uploads are going out",
            )
        elif left > self._alarm_seconds * _CLEAR_MARGIN:
            self._clear(SpaceCondition.DISK_LOW, f"about {hours:.2f} h of recording left")

    def _raise(self, condition: SpaceCondition, detail: str, *, critical: bool = False) -> None:
        with self._lock:
            if condition in self._active:
                return
            alarm = SpaceAlarm(condition, True, detail, self._clock.now(), critical)
            self._active[condition] = alarm
            sinks = list(self._sinks)
        _emit(alarm, sinks)

    def _clear(self, condition: SpaceCondition, detail: str) -> None:
        with self._lock:
            raised = self._active.pop(condition, None)
            if raised is None:
                return
            alarm = SpaceAlarm(condition, False, detail, self._clock.now(), raised.critical)
            sinks = list(self._sinks)
        _emit(alarm, sinks)


def _emit(alarm: SpaceAlarm, sinks: list[SpaceSink]) -> None:
    level = logging.CRITICAL if alarm.critical and alarm.active else logging.WARNING
    logger.log(level, "%s", alarm.line())  # the console: stderr needs no disk
    for sink in sinks:
        try:
            sink(alarm)
        except Exception as exc:  # a sink must never take the recorder down
            if is_disk_full(exc):  # e.g. journaling it: the console and the portal have it already
                logger.error("space alarm not recorded by %r: the disk is full (%s)", sink, exc)
            else:
                logger.exception("space alarm sink failed")


class _AlarmJournal(Protocol):
    @property
    def journal(self) -> JournalWriter: ...


def journal_space_alarm(log: _AlarmJournal, alarm: SpaceAlarm) -> None:
    """The recorder's sink: journal a headroom alarm (the disk still takes a line then). A full disk
    is journaled by the streams once space is back (:mod:`capture.space.disk_full`), with its real times."""
    if alarm.condition is SpaceCondition.DISK_LOW:
        log.journal.append(
            AlarmEvent(condition=str(alarm.condition), active=alarm.active, detail=alarm.detail), at=alarm.at
        )
