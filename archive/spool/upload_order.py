"""Upload order: a journal chunk goes to the store only after everything it names is stored there.

A chunk in the store that names a segment the store does not hold would look, to anyone reading the
bucket meanwhile (the portal's scan, a verify run, a backup), like a lost segment. So a chunk waits
until every init and media segment it names is confirmed: ``done`` in the queue, whether the entry is
uploading now or waiting to retry; a named object the queue does not know (journaled a moment before
it was queued, or queued by an earlier queue file) counts only once the store confirms it holds it.
A chunk that cannot be read names nothing we can check: it then waits for every older entry of its
recording instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from archive.errors import ArchiveError
from archive.journal import InitEvent, SegmentEvent, parse_event
from archive.journal.format import parse_line, split_lines
from archive.spool.upload_queue import UploadItem, UploadQueue, UploadState

logger = logging.getLogger(__name__)

JOURNAL_DIR = "/journal/"

StoredCheck = Callable[[str], bool]
"""True when the store holds the key (with the hash it was journaled with: the uploader's HEAD)."""


def is_journal_chunk(item: UploadItem) -> bool:
    """Whether ``item`` is a chunk of a recording's journal (``…/journal/NNNNNN.jsonl``)."""
    return JOURNAL_DIR in item.object_key


def objects_named(item: UploadItem) -> frozenset[str]:
    """The object keys of every init and media segment the chunk ``item`` journals.

    Raises ArchiveError (JournalError) when a line of the chunk does not parse, ValueError when it
    ends in a torn line (a closed chunk ends with a newline), OSError when it cannot be read.
    """
    prefix = item.object_key.rsplit(JOURNAL_DIR, 1)[0]
    lines, torn = split_lines(item.local_path.read_bytes())
    if torn:
        raise ValueError(f"{item.local_path} ends in a torn line of {len(torn)} bytes")
    keys: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        if not raw:
            continue
        event = parse_event(parse_line(raw, where=f"{item.local_path} line {number}"))
        if isinstance(event, InitEvent | SegmentEvent):
            keys.add(f"{prefix}/{event.object}")
    return frozenset(keys)


class ChunkGate:
    """Decides whether a journal chunk may start uploading now; thread-safe. Remembers the keys each
    chunk names (a closed chunk never changes) and the keys the store has confirmed."""

    def __init__(self, queue: UploadQueue, stored: StoredCheck) -> None:
        self._queue = queue
        self._stored = stored
        self._named: dict[int, frozenset[str] | None] = {}
        self._confirmed: set[str] = set()
        self._lock = threading.Lock()

    def may_start(self, item: UploadItem) -> bool:
        """True for anything but a journal chunk; for a chunk, True once all it names is stored."""
        if not is_journal_chunk(item):
            return True
        named = self._names(item)
        if named is None:
            return self._queue.older_pending(item) == 0
        waiting = named - self._confirmed_now(named)
        if waiting:
            logger.debug("journal chunk %s waits for %d objects it names", item.object_key, len(waiting))
        return not waiting

    def forget(self, item: UploadItem) -> None:
        """Drop what is remembered about ``item`` (it was uploaded or failed)."""
        with self._lock:
            self._named.pop(item.id, None)

    def _names(self, item: UploadItem) -> frozenset[str] | None:
        with self._lock:
            if item.id in self._named:
                return self._named[item.id]
        try:
            named: frozenset[str] | None = objects_named(item)
        except (ArchiveError, OSError, ValueError) as exc:
            logger.warning(
                "journal chunk %s cannot be read to check what it names (%s); it waits for every older"
                " upload of its recording instead",
                item.object_key,
                exc,
            )
            named = None
        with self._lock:
            self._named[item.id] = named
        return named

    def _confirmed_now(self, named: frozenset[str]) -> set[str]:
        with self._lock:
            confirmed = set(named & self._confirmed)
        unknown = set(named - confirmed)
        states = self._queue.states(unknown)
        for key, state in states.items():
            if state is UploadState.DONE:
                confirmed.add(key)
            unknown.discard(key)
        for key in unknown:  # journaled but not (yet) queued here: ask the store itself
            if self._stored(key):
                confirmed.add(key)
        with self._lock:
            self._confirmed |= confirmed
        return confirmed
