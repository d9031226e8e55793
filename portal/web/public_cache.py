"""A short-lived cache of rendered public answers (notice list, notice pages, JSON, iCalendar).

Only answers for visitors who are not signed in are cached (signed-in pages carry the person's
navigation). Entries live ``ttl`` seconds (the same order as their ``Cache-Control: max-age``) and
are dropped at once when this process publishes a notice or withdraws or restores a replay; other
processes catch up within ``ttl``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class PublicCache:
    """Thread-safe bounded LRU of ``key -> bytes`` with a time-to-live."""

    def __init__(
        self, *, seconds: Callable[[], float] = time.monotonic, ttl: float = 5.0, max_entries: int = 256
    ) -> None:
        """``seconds`` reads the clock that ages entries (the portal passes its own, so tests can move it)."""
        if ttl <= 0 or max_entries < 1:
            raise ValueError(f"need ttl > 0 and max_entries >= 1 (got {ttl}, {max_entries})")
        self._seconds = seconds
        self._ttl = ttl
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        """The cached body of ``key`` if it is younger than the time-to-live."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or not 0 <= self._seconds() - entry[0] < self._ttl:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: str, body: bytes) -> None:
        """Keep ``body`` under ``key`` (evicting the least recently used beyond ``max_entries``)."""
        with self._lock:
            self._entries[key] = (self._seconds(), body)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    async def through(self, key: str, build: Callable[[], bytes], *, signed_in: bool) -> bytes:
        """``build()`` in a worker thread, or its cached bytes for visitors who are not signed in
        (a signed-in visitor's page is built for them and never kept)."""
        if not signed_in and (body := self.get(key)) is not None:
            return body
        body = await asyncio.to_thread(build)
        if not signed_in:
            self.put(key, body)
        return body

    def clear(self) -> None:
        """Forget everything (a notice was published or changed)."""
        with self._lock:
            self._entries.clear()
