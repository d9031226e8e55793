"""The uploader's pace and its measured speed.

:class:`UploadRate` caps the rate, so that on a weak link the live stream keeps its share: the
backlog drains at most at ``bytes_per_second`` on average (each upload starts when the ones before it
have used up their share of the time); the cap may change at any time (e.g. lower while live).

:class:`UploadMeter` measures what the store actually took: bytes confirmed per second of time with
an upload in flight (idle time between segments does not count), over the last minute. With the
backlog it gives the estimated drain time a heartbeat reports.
"""

from __future__ import annotations

import threading
from collections import deque

from timebase import Clock

METER_WINDOW_SECONDS = 60.0


class UploadRate:
    """Shared by every upload thread; :meth:`wait_turn` paces the start of each upload."""

    def __init__(self, bytes_per_second: float, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._next_start = clock.monotonic()
        self.bytes_per_second = _positive(bytes_per_second)

    def set(self, bytes_per_second: float) -> None:
        """Change the cap from the next upload on."""
        with self._lock:
            self.bytes_per_second = _positive(bytes_per_second)

    def wait_turn(self, size: int, stop: threading.Event) -> bool:
        """Block until an upload of ``size`` bytes may start; False when ``stop`` was set first."""
        with self._lock:
            now = self._clock.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + size / self.bytes_per_second
        delay = start - now
        return delay <= 0 or not self._clock.wait(stop, delay)


def _positive(bytes_per_second: float) -> float:
    if not bytes_per_second > 0:
        raise ValueError(f"an upload rate must be more than 0 bytes per second (got {bytes_per_second})")
    return bytes_per_second


class UploadMeter:
    """Records each stored upload (any thread); :meth:`bytes_per_second` is the recent speed: bytes
    stored within the window over the time some of those uploads were in flight (the union of their
    spans, so two in parallel are not counted twice and idle time is not counted at all). None when
    nothing was stored within the window."""

    def __init__(self, clock: Clock, *, window_seconds: float = METER_WINDOW_SECONDS) -> None:
        self._clock = clock
        self._window = window_seconds
        self._lock = threading.Lock()
        self._stored: deque[tuple[float, float, int]] = deque()  # (began, ended, bytes)

    def stored(self, began: float, size: int) -> None:
        """An upload of ``size`` bytes that began at ``began`` (the clock's monotonic) is confirmed."""
        with self._lock:
            self._stored.append((began, self._clock.monotonic(), size))

    def bytes_per_second(self) -> float | None:
        with self._lock:
            now = self._clock.monotonic()
            while self._stored and now - self._stored[0][1] > self._window:
                self._stored.popleft()
            spans = sorted(self._stored)
        if not spans:
            return None
        busy, reach = 0.0, spans[0][0]
        for began, ended, _size in spans:
            start = max(began, reach)
            if ended > start:
                busy += ended - start
                reach = ended
        total = sum(size for _b, _e, size in spans)
        return None if busy <= 0 else total / busy
