"""Progress of a long command for court IT: a bar redrawn in place on a terminal, and a plain line
every few seconds otherwise (a log file or a pipe must not fill with carriage returns).

A job takes an optional ``on_progress(done, total)`` callback (:data:`ProgressCallback`) and calls it
as it goes; the command line passes a :class:`ProgressLine`. Lines go to stderr so the command's
report on stdout stays what scripts read.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

ProgressCallback = Callable[[int, int], None]
"""``on_progress(done, total)``: ``done`` of ``total`` units finished (total 0: nothing to do)."""

BAR_WIDTH = 30
DEFAULT_INTERVAL_SECONDS = 10.0


class ProgressLine:
    """Shows ``what``'s progress in ``unit`` on ``stream``: on a terminal a bar redrawn at most every
    0.2 s; otherwise one line ``backup: 120/400 recordings (30%), 42 s`` at the first call, then every
    ``interval`` seconds, and when done. ``clock`` is monotonic seconds (a seam for tests)."""

    def __init__(
        self,
        what: str,
        unit: str,
        *,
        stream: TextIO | None = None,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._what = what
        self._unit = unit
        self._stream = stream if stream is not None else sys.stderr
        self._tty = tty if tty is not None else _is_terminal(self._stream)
        self._interval = 0.2 if self._tty else interval
        self._clock = clock
        self._started = clock()
        self._shown_at: float | None = None
        self._finished = False

    def __call__(self, done: int, total: int) -> None:
        """Record ``done`` of ``total``; shows it when due (always when ``done`` reaches ``total``)."""
        now = self._clock()
        complete = done >= total
        if self._finished or not (
            complete or self._shown_at is None or now - self._shown_at >= self._interval
        ):
            return
        self._shown_at = now
        self._finished = complete
        elapsed = now - self._started
        if self._tty:
            end = "\n" if complete else ""
            self._stream.write(f"\r{self._bar(done, total)} {_duration(elapsed)}\x1b[K{end}")
        else:
            self._stream.write(f"{self._what}: {self._count(done, total)}, {_duration(elapsed)}\n")
        self._stream.flush()

    def _count(self, done: int, total: int) -> str:
        percent = 100 if total <= 0 else min(100, done * 100 // total)
        return f"{done}/{total} {self._unit} ({percent}%)"

    def _bar(self, done: int, total: int) -> str:
        filled = BAR_WIDTH if total <= 0 else min(BAR_WIDTH, done * BAR_WIDTH // total)
        return f"{self._what} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self._count(done, total)}"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream: treat it as a file
        return False


def _duration(seconds: float) -> str:
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest:02d} s"
