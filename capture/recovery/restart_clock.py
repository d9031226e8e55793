"""When a recording restarts, how long it was away: measured on the monotonic clock, not the wall.

Each run leaves a mark on the spool with every checkpoint (and at its start): the machine's boot id
(``/proc/sys/kernel/random/boot_id``), ``CLOCK_MONOTONIC`` (system-wide since boot, so comparable
between processes of one boot) and the wall time read with it. A restart in the same boot puts
"now" on the old run's wall timeline as mark wall + (monotonic now - mark monotonic): a wall-clock
step between the runs neither lengthens nor shortens the gap, and is journaled as a clock step.
After a reboot (another boot id) or without a mark, only the wall clock is left: the gap is then
measured by it, and its reason says so.

``COURTREC_FAULT_WALL_STEP_SECONDS`` (tests only) moves this process's wall clock by that many
seconds, as a clock stepped between two runs would be.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from timebase import Clock

logger = logging.getLogger(__name__)

BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")
MARK_FILE = "clock-mark.json"
WALL_STEP_ENV = "COURTREC_FAULT_WALL_STEP_SECONDS"
STEP_SECONDS = 1.0
"""A wall clock further than this from the monotonic reckoning has stepped (journaled)."""


@dataclass(frozen=True, slots=True)
class ClockMark:
    """Where a run's clocks stood together: its boot, the monotonic and the wall time."""

    boot_id: str
    monotonic: float
    wall: datetime


@dataclass(frozen=True, slots=True)
class RestartTime:
    """ "Now" at a restart, on the previous run's wall timeline. ``from_wall``: no mark of this boot,
    so it is just the wall clock; ``step_seconds``: how far the wall clock now is from it (0 within
    a second, or when unknown)."""

    at: datetime
    from_wall: bool
    step_seconds: float


def read_boot_id(path: Path = BOOT_ID_PATH) -> str | None:
    """This boot's id, or None where the kernel does not say (not Linux, no /proc)."""
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def save_mark(directory: Path, clock: Clock, boot_id: str | None) -> None:
    """Write the mark (atomically; the last one written wins). Best effort: a failure (a full
    disk) only logs, since an older mark still places the restart correctly."""
    if boot_id is None:
        return
    body = {"boot_id": boot_id, "monotonic": clock.monotonic(), "wall": clock.now().isoformat()}
    path = directory / MARK_FILE
    temporary = directory / f".{MARK_FILE}.{os.getpid()}.{threading.get_ident()}"
    try:
        with temporary.open("wb") as file:
            file.write(json.dumps(body, sort_keys=True).encode())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        logger.warning("cannot write the clock mark %s (%s); the last one stands", path, exc)
        temporary.unlink(missing_ok=True)


def load_mark(directory: Path) -> ClockMark | None:
    """The last run's mark, or None when there is none or it cannot be read."""
    path = directory / MARK_FILE
    try:
        data = json.loads(path.read_text())
        return ClockMark(str(data["boot_id"]), float(data["monotonic"]), datetime.fromisoformat(data["wall"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("ignoring the unreadable clock mark %s (%s)", path, exc)
        return None


def restart_time(mark: ClockMark | None, clock: Clock, boot_id: str | None) -> RestartTime:
    """Place "now" on the last run's wall timeline (see the module docstring)."""
    wall = clock.now()
    if mark is None or boot_id is None or mark.boot_id != boot_id:
        return RestartTime(at=wall, from_wall=True, step_seconds=0.0)
    elapsed = clock.monotonic() - mark.monotonic
    if elapsed < 0:  # cannot happen within one boot; trust nothing but the wall then
        return RestartTime(at=wall, from_wall=True, step_seconds=0.0)
    at = mark.wall + timedelta(seconds=elapsed)
    step = (wall - at).total_seconds()
    stepped = round(step, 6) if abs(step) > STEP_SECONDS else 0.0
    return RestartTime(at=at, from_wall=False, step_seconds=stepped)


class FaultSteppedClock:
    """A clock whose wall time is ``offset`` seconds from ``inner``'s (COURTREC_FAULT_WALL_STEP_SECONDS)."""

    def __init__(self, inner: Clock, offset: float) -> None:
        self._inner = inner
        self._offset = timedelta(seconds=offset)

    def now(self) -> datetime:
        return self._inner.now() + self._offset

    def monotonic(self) -> float:
        return self._inner.monotonic()

    def wait(self, event: threading.Event, timeout: float | None = None) -> bool:
        return self._inner.wait(event, timeout)

    def wait_notified(self, condition: threading.Condition, timeout: float | None = None) -> bool:
        return self._inner.wait_notified(condition, timeout)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def with_fault_wall_step(clock: Clock) -> Clock:
    """``clock``, or a stepped copy of it when COURTREC_FAULT_WALL_STEP_SECONDS is set. Raises
    ValueError naming the variable when it is not a number."""
    value = os.environ.get(WALL_STEP_ENV)
    if not value:
        return clock
    try:
        offset = float(value)
    except ValueError:
        raise ValueError(f"{WALL_STEP_ENV} must be a number of seconds (got {value!r})") from None
    return FaultSteppedClock(clock, offset)
