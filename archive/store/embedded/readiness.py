"""Waiting for a starting store: a deadline on the monotonic clock, and lines saying what we wait for.

On a busy machine ``weed`` can take far longer than its usual second or two to answer S3, so the
deadline is generous and configurable (COURTREC_STORE_START_SECONDS, ``--start-timeout``), and a
start that is slow says so every few seconds: which endpoint, how long so far, what it last answered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

START_SECONDS_SETTING = "COURTREC_STORE_START_SECONDS"
START_SECONDS_FLAG = "--start-timeout"
DEFAULT_START_SECONDS = 120.0
"""How long a start may take by default: weed answers in 1-3 s idle, far longer on a loaded 2-core box."""
PROGRESS_SECONDS = 5.0


class ReadinessWait:
    """One wait for ``what`` (e.g. "weed's S3 at http://127.0.0.1:8333") of at most ``deadline_seconds``.

    ``note`` is called on each attempt; every ``progress_seconds`` it logs a WARNING naming ``what``,
    the time waited so far and the last answer. ``clock`` is the monotonic clock (a seam for tests).
    """

    def __init__(
        self,
        what: str,
        deadline_seconds: float,
        *,
        progress_seconds: float = PROGRESS_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if deadline_seconds <= 0 or progress_seconds <= 0:
            raise ValueError(
                f"deadline and progress interval must be > 0 s (got {deadline_seconds}, {progress_seconds})"
            )
        self._what = what
        self._deadline = deadline_seconds
        self._progress = progress_seconds
        self._clock = clock
        self._started = clock()
        self._next_report = self._started + progress_seconds
        logger.info("waiting up to %.0f s for %s", deadline_seconds, what)

    @property
    def elapsed(self) -> float:
        """Seconds since the wait began."""
        return self._clock() - self._started

    @property
    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self.elapsed >= self._deadline

    def note(self, last_answer: str | None) -> None:
        """Record an attempt that did not succeed yet; logs a progress line when one is due."""
        now = self._clock()
        if now < self._next_report:
            return
        self._next_report = now + self._progress
        logger.warning(
            "still waiting for %s: %.0f s so far of %.0f s (%s / %s); last answer: %s",
            self._what,
            now - self._started,
            self._deadline,
            START_SECONDS_SETTING,
            START_SECONDS_FLAG,
            last_answer or "none yet",
        )

    def timeout_message(self, last_answer: str | None) -> str:
        """One line for the error when the deadline passed, naming the setting that sets it."""
        return (
            f"{self._what} did not answer within {self._deadline:g} s; on a busy machine allow more with"
            f" {START_SECONDS_SETTING} or {START_SECONDS_FLAG} (last answer: {last_answer or 'none'})"
        )
