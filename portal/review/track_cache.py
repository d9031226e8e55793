"""A bounded in-memory cache of recordings' playable tracks, read from their journals in the bucket.

A finished recording's journal never changes (its chunks are immutable objects), so its tracks are
kept until evicted by newer entries; a recording still in progress is re-read after ``refresh``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from archive import ArchiveError, ObjectNotFoundError
from archive.export import RecordingTracks, load_tracks
from archive.store import ObjectStore
from portal.errors import NotFoundError, StoreError


class TrackCache:
    """Thread-safe LRU of :class:`archive.RecordingTracks` by recording id. Methods block (S3 reads)."""

    def __init__(self, store: ObjectStore | None, *, max_entries: int = 128, refresh: float = 10.0) -> None:
        self._store = store
        self._max_entries = max_entries
        self._refresh = refresh
        self._entries: OrderedDict[str, tuple[float, RecordingTracks]] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, recording_id: str) -> RecordingTracks | None:
        """The cached tracks of ``recording_id`` if still current, else None (never blocks)."""
        with self._lock:
            cached = self._entries.get(recording_id)
            if cached is not None and (cached[1].finished or time.monotonic() - cached[0] < self._refresh):
                self._entries.move_to_end(recording_id)
                return cached[1]
        return None

    def get(self, recording_id: str) -> RecordingTracks:
        """The tracks of ``recording_id``, from the cache or the bucket.

        Raises NotFoundError when the bucket has no such recording, StoreError when it cannot be read
        (or no store is configured).
        """
        cached = self.peek(recording_id)
        if cached is not None:
            return cached
        tracks = self._load(recording_id)
        with self._lock:
            self._entries[recording_id] = (time.monotonic(), tracks)
            self._entries.move_to_end(recording_id)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return tracks

    def _load(self, recording_id: str) -> RecordingTracks:
        if self._store is None:
            raise StoreError("no recording archive is configured")
        try:
            return load_tracks(self._store, recording_id)
        except ArchiveError as exc:
            if isinstance(exc, ObjectNotFoundError) or isinstance(exc.__cause__, ObjectNotFoundError):
                raise NotFoundError("recording not found in the archive") from exc
            raise StoreError(f"the recording archive could not be read: {exc}") from exc
