"""A bounded in-memory cache of recordings' playable tracks and journal marks (gaps, pauses, notes,
readiness, sealed spans), read from their journals in the bucket (one read gives both).

A finished recording's journal never changes (its chunks are immutable objects), so its tracks are
kept until evicted by newer entries; a recording still in progress is re-read after ``refresh``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from archive import ArchiveError, ObjectNotFoundError
from archive.export import RecordingTracks, load_tracks_and_journal
from archive.store import ObjectStore
from portal.errors import NotFoundError, StoreError
from portal.review.journal_marks import JournalMarks, marks_from_journal

Loaded = tuple[RecordingTracks, JournalMarks]


class TrackCache:
    """Thread-safe LRU of a recording's tracks and marks by recording id. Methods block (S3 reads)."""

    def __init__(self, store: ObjectStore | None, *, max_entries: int = 128, refresh: float = 10.0) -> None:
        self._store = store
        self._max_entries = max_entries
        self._refresh = refresh
        self._entries: OrderedDict[str, tuple[float, Loaded]] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, recording_id: str) -> RecordingTracks | None:
        """The cached tracks of ``recording_id`` if still current, else None (never blocks)."""
        loaded = self.peek_loaded(recording_id)
        return None if loaded is None else loaded[0]

    def peek_loaded(self, recording_id: str) -> Loaded | None:
        """The cached tracks and marks of ``recording_id`` if still current, else None (never blocks)."""
        with self._lock:
            cached = self._entries.get(recording_id)
            if cached is not None and (cached[1][0].finished or time.monotonic() - cached[0] < self._refresh):
                self._entries.move_to_end(recording_id)
                return cached[1]
        return None

    def get(self, recording_id: str) -> RecordingTracks:
        """The tracks of ``recording_id``, from the cache or the bucket.

        Raises NotFoundError when the bucket has no such recording, StoreError when it cannot be read
        (or no store is configured).
        """
        return self.get_loaded(recording_id)[0]

    def get_loaded(self, recording_id: str) -> Loaded:
        """The tracks and marks of ``recording_id``, from the cache or the bucket (raises as :meth:`get`)."""
        cached = self.peek_loaded(recording_id)
        if cached is not None:
            return cached
        loaded = self._load(recording_id)
        with self._lock:
            self._entries[recording_id] = (time.monotonic(), loaded)
            self._entries.move_to_end(recording_id)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return loaded

    def _load(self, recording_id: str) -> Loaded:
        if self._store is None:
            raise StoreError("no recording archive is configured")
        try:
            return _read(self._store, recording_id)
        except ArchiveError as exc:
            if isinstance(exc, ObjectNotFoundError) or isinstance(exc.__cause__, ObjectNotFoundError):
                raise NotFoundError("录像存储中没有该录像") from exc
            raise StoreError(f"the recording archive could not be read: {exc}") from exc


def _read(store: ObjectStore, recording_id: str) -> Loaded:
    """One read of the journal chunks, giving the tracks (as ``archive.export.load_tracks``) and marks."""
    tracks, chain = load_tracks_and_journal(store, recording_id)
    return tracks, marks_from_journal(chain.lines)
