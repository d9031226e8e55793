"""Real-time pacing for sources that could otherwise produce frames faster than a live device."""

from __future__ import annotations

import threading
import time

__all__ = ["Pacer"]


class Pacer:
    """Holds a producer back until each frame's media time has arrived on the monotonic clock.

    Media time 0 corresponds to the moment :meth:`start` is called. A consumer that falls behind
    gets the late frames at once (nothing is dropped), as a capture card's buffer would hand them
    over. Waiting uses ``stop.wait`` so that setting ``stop`` from another thread ends a wait at
    once. With ``realtime=False`` it never waits and only reports whether ``stop`` is set.
    """

    def __init__(self, stop: threading.Event, *, realtime: bool) -> None:
        self._stop = stop
        self._realtime = realtime
        self._origin = time.monotonic()

    def start(self) -> None:
        """Make the current monotonic time media time 0."""
        self._origin = time.monotonic()

    def wait_until(self, media_seconds: float) -> bool:
        """Block until ``media_seconds`` after :meth:`start`; False if stopped (the caller should end)."""
        if self._realtime:
            delay = self._origin + media_seconds - time.monotonic()
            if delay > 0:
                return not self._stop.wait(delay)
        return not self._stop.is_set()
