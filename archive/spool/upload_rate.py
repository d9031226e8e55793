"""A cap on the uploader's rate, so that on a weak link the live stream keeps its share: the backlog
drains at most at ``bytes_per_second`` on average (each upload starts when the ones before it have
used up their share of the time)."""

from __future__ import annotations

import threading

from timebase import Clock


class UploadRate:
    """Shared by every upload thread; :meth:`wait_turn` paces the start of each upload."""

    def __init__(self, bytes_per_second: float, clock: Clock) -> None:
        if not bytes_per_second > 0:
            raise ValueError(f"an upload rate must be more than 0 bytes per second (got {bytes_per_second})")
        self.bytes_per_second = bytes_per_second
        self._clock = clock
        self._lock = threading.Lock()
        self._next_start = clock.monotonic()

    def wait_turn(self, size: int, stop: threading.Event) -> bool:
        """Block until an upload of ``size`` bytes may start; False when ``stop`` was set first."""
        with self._lock:
            now = self._clock.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + size / self.bytes_per_second
        delay = start - now
        return delay <= 0 or not self._clock.wait(stop, delay)
