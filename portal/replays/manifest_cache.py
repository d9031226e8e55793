"""The masked renditions' manifests as the portal last read them, per (recording, stream), so that the
replay pages and the clerk's replay list do not read every ``manifest.json`` from the store at each
request.

A complete manifest only changes when the next masking pass replaces it (the portal's own worker
forgets the entry when it writes one: :meth:`MaskedManifestCache.forget`) or when retention's
disposal deletes it with the recording (then its objects are gone too and each is refused when
served); it is kept ``ready_seconds``. "Being prepared" (no manifest, or one that does not cover the
replay yet) is kept only ``preparing_seconds``: a rendition written by another process (the
``mask-replays`` command) shows within those seconds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from archive.store import ObjectStore
from portal.replays.masked_rendition import MaskedManifest, load_manifest

READY_SECONDS = 300.0
PREPARING_SECONDS = 5.0
MAX_ENTRIES = 512

Key = tuple[str, str]  # (recording id, stream)


class MaskedManifestCache:
    """Thread-safe, bounded (LRU) cache of :func:`load_manifest` answers; ``now`` is the portal's clock."""

    def __init__(
        self,
        now: Callable[[], datetime],
        *,
        ready_seconds: float = READY_SECONDS,
        preparing_seconds: float = PREPARING_SECONDS,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._now = now
        self._ready = ready_seconds
        self._preparing = preparing_seconds
        self._max_entries = max_entries
        self._entries: OrderedDict[Key, tuple[float, MaskedManifest | None]] = OrderedDict()
        self._lock = threading.Lock()

    def load(
        self,
        store: ObjectStore,
        recording_id: str,
        stream: str,
        complete: Callable[[MaskedManifest], bool],
    ) -> MaskedManifest | None:
        """The manifest of ``recording_id``'s ``stream`` (None: none yet), from the cache while fresh,
        else from the store. ``complete``: whether a manifest covers what is to be shown (one that
        does not is re-read as soon as "being prepared" would be). Blocking; raises as load_manifest."""
        key = (recording_id, stream)
        now = self._seconds()
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                read_at, manifest = cached
                ready = manifest is not None and complete(manifest)
                if now - read_at < (self._ready if ready else self._preparing):
                    self._entries.move_to_end(key)
                    return manifest
        manifest = load_manifest(store, recording_id, stream)
        with self._lock:
            self._entries[key] = (now, manifest)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return manifest

    def forget(self, recording_id: str) -> None:
        """Drop every stream of ``recording_id`` (its rendition was just written or replaced)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == recording_id]:
                del self._entries[key]

    def _seconds(self) -> float:
        return self._now().timestamp()
