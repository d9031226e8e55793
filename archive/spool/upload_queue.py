"""The durable store-and-forward queue of sealed files waiting to go to the object store.

SQLite in WAL mode with ``synchronous=FULL``: an enqueued file survives kill -9 and power loss.
Keys are unique, so enqueueing the same object twice (e.g. when reconciling after a crash) is a no-op.
Entries leave the ``pending`` state only when the store confirmed the object's SHA-256 (``done``) or
when something needs a person (``conflict``: the key holds other bytes; ``corrupt``: the local file
no longer matches its sealed hash, or the store kept mismatching for the whole retry window). A person
puts such entries back with :meth:`UploadQueue.requeue_failed` (``python -m archive upload
--retry-failed``); the local file is never deleted before the store confirmed it.

Failed attempts are counted apart by cause: ``outage_attempts`` (store unreachable, refused, bucket
missing) and ``mismatch_attempts`` (the store saw other bytes than we sealed), with the time of the
first mismatch, so an outage never uses up the patience reserved for a corrupting link and vice versa.

A file inside the spool is recorded by its path relative to the queue's own directory (the spool's
root), so a spool moved or restored elsewhere uploads from, and deletes in, its new place; entries of
older queues (absolute paths) and files outside the spool keep their absolute paths.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from archive.errors import SpoolError
from timebase import Clock, SystemClock

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    object_key TEXT NOT NULL UNIQUE,
    local_path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    recording_id TEXT NOT NULL,
    delete_after_upload INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    enqueued_at REAL NOT NULL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS uploads_pending ON uploads (state, id);
"""

# Columns added after the first release; a queue made by an older agent gets them on open.
_ADDED_COLUMNS = {
    "outage_attempts": "INTEGER NOT NULL DEFAULT 0",
    "mismatch_attempts": "INTEGER NOT NULL DEFAULT 0",
    "first_mismatch_at": "REAL",
}
_ITEM_COLUMNS = (
    "id, object_key, local_path, sha256, size, recording_id, delete_after_upload, attempts,"
    " outage_attempts, mismatch_attempts, first_mismatch_at"
)


class UploadState(StrEnum):
    """Where an entry is in its life."""

    PENDING = "pending"
    DONE = "done"
    CONFLICT = "conflict"
    CORRUPT = "corrupt"


@dataclass(frozen=True, slots=True)
class UploadItem:
    """One file to upload under one key, with the SHA-256 it was sealed with."""

    id: int
    object_key: str
    local_path: Path
    sha256: str
    size: int
    recording_id: str
    delete_after_upload: bool
    attempts: int
    outage_attempts: int = 0
    mismatch_attempts: int = 0
    first_mismatch_at: float | None = None  # epoch seconds of the first mismatch since last requeue


class UploadQueue:
    """A FIFO of sealed files; safe to use from several threads of one process.

    Its times (enqueued, next attempt, finished) are stored as epoch seconds, because a retry
    schedule must survive a restart of the process, which monotonic time does not. They run on a
    steady timeline: the wall clock read once when the queue opens, moved on by the monotonic clock,
    so a wall-clock step while running neither delays nor hurries a retry.
    """

    def __init__(self, path: Path, *, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self._base = path.parent.absolute()  # entries inside it are stored relative to it
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._add_missing_columns()
        except (sqlite3.Error, OSError) as exc:
            raise SpoolError(f"cannot open the upload queue {path}: {exc}") from exc
        self._lock = threading.Lock()
        self._wakeup = threading.Event()
        self._wall_origin, self._mono_origin = self.clock.now().timestamp(), self.clock.monotonic()

    def _add_missing_columns(self) -> None:
        present = {row[1] for row in self._db.execute("PRAGMA table_info(uploads)")}
        for name, declaration in _ADDED_COLUMNS.items():
            if name not in present:
                self._db.execute(f"ALTER TABLE uploads ADD COLUMN {name} {declaration}")

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def enqueue(
        self,
        *,
        object_key: str,
        local_path: Path,
        sha256: str,
        size: int,
        recording_id: str,
        delete_after_upload: bool,
    ) -> bool:
        """Add a sealed file. Returns False when the key was already queued (nothing changes then)."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO uploads (object_key, local_path, sha256, size, recording_id,"
                " delete_after_upload, state, enqueued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    object_key,
                    self._stored_path(local_path),
                    sha256,
                    size,
                    recording_id,
                    int(delete_after_upload),
                    UploadState.PENDING,
                    self._epoch(),
                ),
            )
            added = cursor.rowcount == 1
        if added:
            self._wakeup.set()
        return added

    def next_due(self, now: float | None = None) -> UploadItem | None:
        """The oldest pending entry whose retry time has come, or None."""
        due = self.due(limit=1, now=now)
        return due[0] if due else None

    def due(self, *, limit: int, now: float | None = None, skip: Collection[int] = ()) -> list[UploadItem]:
        """Up to ``limit`` pending entries whose retry time has come, oldest first, leaving out the
        ids in ``skip``."""
        moment = self._epoch() if now is None else now
        skipped = ",".join(str(int(item_id)) for item_id in skip)
        leave_out = f" AND id NOT IN ({skipped})" if skipped else ""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_ITEM_COLUMNS} FROM uploads WHERE state = ? AND next_attempt <= ?{leave_out}"  # noqa: S608 - ids are ints
                " ORDER BY id LIMIT ?",
                (UploadState.PENDING, moment, limit),
            ).fetchall()
        return [self._item(row) for row in rows]

    def confirmed(self, *, limit: int, exclude_recording: str | None = None) -> list[UploadItem]:
        """Up to ``limit`` entries the store has confirmed (``done``), the earliest confirmed first,
        leaving out ``exclude_recording``'s: local copies that may be freed under a spool quota
        (their files may already be gone: the uploader deletes media at confirmation)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_ITEM_COLUMNS} FROM uploads WHERE state = ? AND recording_id IS NOT ?"  # noqa: S608
                " ORDER BY finished_at, id LIMIT ?",
                (UploadState.DONE, exclude_recording, limit),
            ).fetchall()
        return [self._item(row) for row in rows]

    def states(self, keys: Iterable[str]) -> dict[str, UploadState]:
        """The state of each of ``keys`` that is in the queue (keys never queued are left out)."""
        wanted = list(keys)
        found: dict[str, UploadState] = {}
        with self._lock:
            for start in range(0, len(wanted), 500):
                batch = wanted[start : start + 500]
                marks = ",".join("?" * len(batch))
                rows = self._db.execute(
                    f"SELECT object_key, state FROM uploads WHERE object_key IN ({marks})",  # noqa: S608
                    batch,
                ).fetchall()
                found.update({key: UploadState(state) for key, state in rows})
        return found

    def older_pending(self, item: UploadItem) -> int:
        """How many entries of ``item``'s recording, queued before it, are still pending (uploading
        now or waiting to retry)."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM uploads WHERE recording_id = ? AND id < ? AND state = ?",
                (item.recording_id, item.id, UploadState.PENDING),
            ).fetchone()
        return int(row[0])

    def mark_done(self, item_id: int) -> None:
        """The store confirmed the object."""
        self._finish(item_id, UploadState.DONE, None)

    def mark_failed(self, item_id: int, state: UploadState, error: str) -> None:
        """Stop trying an entry that needs a person (``conflict`` or ``corrupt``)."""
        self._finish(item_id, state, error)

    def postpone(self, item_id: int, *, delay_seconds: float, error: str) -> None:
        """Count a failed attempt (the store was unreachable or refused us: an outage) and retry the
        entry after ``delay_seconds``."""
        with self._lock:
            self._db.execute(
                "UPDATE uploads SET attempts = attempts + 1, outage_attempts = outage_attempts + 1,"
                " next_attempt = ?, last_error = ? WHERE id = ?",
                (self._epoch() + delay_seconds, error, item_id),
            )

    def postpone_mismatch(self, item_id: int, *, delay_seconds: float, error: str) -> None:
        """Count a checksum mismatch (the store saw other bytes than ours), remember when the first
        one happened, and retry the entry after ``delay_seconds``."""
        now = self._epoch()
        with self._lock:
            self._db.execute(
                "UPDATE uploads SET attempts = attempts + 1, mismatch_attempts = mismatch_attempts + 1,"
                " first_mismatch_at = COALESCE(first_mismatch_at, ?), next_attempt = ?, last_error = ?"
                " WHERE id = ?",
                (now, now + delay_seconds, error, item_id),
            )

    def requeue_failed(self, recording_id: str | None = None) -> list[UploadItem]:
        """Put every ``conflict`` and ``corrupt`` entry (of one recording, or all) back to pending, due
        now, with its mismatch count and window reset; returns the entries as they were."""
        query = f"SELECT {_ITEM_COLUMNS} FROM uploads WHERE state IN (?, ?)"  # noqa: S608 - constant columns
        args: tuple[str, ...] = (UploadState.CONFLICT, UploadState.CORRUPT)
        if recording_id is not None:
            query += " AND recording_id = ?"
            args += (recording_id,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id", args).fetchall()
            for row in rows:
                self._db.execute(
                    "UPDATE uploads SET state = ?, next_attempt = 0, mismatch_attempts = 0,"
                    " first_mismatch_at = NULL, finished_at = NULL WHERE id = ?",
                    (UploadState.PENDING, row[0]),
                )
        if rows:
            self._wakeup.set()
        return [self._item(row) for row in rows]

    def failed(self, recording_id: str | None = None) -> list[tuple[UploadItem, UploadState, str]]:
        """Every entry that waits for a person (``conflict``/``corrupt``), with its state and error."""
        query = f"SELECT {_ITEM_COLUMNS}, state, last_error FROM uploads WHERE state IN (?, ?)"  # noqa: S608
        args: tuple[str, ...] = (UploadState.CONFLICT, UploadState.CORRUPT)
        if recording_id is not None:
            query += " AND recording_id = ?"
            args += (recording_id,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id", args).fetchall()
        return [(self._item(row[:11]), UploadState(row[11]), str(row[12] or "")) for row in rows]

    def counts(self, recording_id: str | None = None) -> dict[UploadState, int]:
        """How many entries are in each state (for one recording, or all)."""
        query = "SELECT state, COUNT(*) FROM uploads"
        args: tuple[str, ...] = ()
        if recording_id is not None:
            query += " WHERE recording_id = ?"
            args = (recording_id,)
        with self._lock:
            rows = self._db.execute(query + " GROUP BY state", args).fetchall()
        result = dict.fromkeys(UploadState, 0)
        for state, count in rows:
            result[UploadState(state)] = count
        return result

    def backlog(self) -> tuple[int, int]:
        """(entries, bytes) still to upload: sealed on the spool, not yet confirmed by the store."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM uploads WHERE state = ?", (UploadState.PENDING,)
            ).fetchone()
        return int(row[0]), int(row[1])

    def pending_count(self) -> int:
        """Entries still to upload."""
        return self.counts()[UploadState.PENDING]

    def earliest_retry(self) -> float | None:
        """The time (epoch seconds) the next pending entry becomes due, or None when none is pending."""
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(next_attempt) FROM uploads WHERE state = ?", (UploadState.PENDING,)
            ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def wait_for_work(self, timeout: float) -> None:
        """Block until something is enqueued or ``timeout`` seconds pass."""
        self.clock.wait(self._wakeup, timeout)
        self._wakeup.clear()

    def wake(self) -> None:
        """Wake a thread blocked in wait_for_work (used to stop it)."""
        self._wakeup.set()

    def now(self) -> float:
        """The queue's current time, in the epoch seconds it schedules retries in."""
        return self._epoch()

    def _epoch(self) -> float:
        return self._wall_origin + (self.clock.monotonic() - self._mono_origin)

    def _finish(self, item_id: int, state: UploadState, error: str | None) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE uploads SET state = ?, last_error = ?, finished_at = ? WHERE id = ?",
                (state, error, self._epoch(), item_id),
            )

    def _stored_path(self, local_path: Path) -> str:
        absolute = local_path.absolute()
        return str(absolute.relative_to(self._base)) if absolute.is_relative_to(self._base) else str(absolute)

    def _item(self, row: Sequence[Any]) -> UploadItem:
        return UploadItem(
            id=row[0],
            object_key=row[1],
            local_path=self._base / row[2],  # an absolute path stays as it is
            sha256=row[3],
            size=row[4],
            recording_id=row[5],
            delete_after_upload=bool(row[6]),
            attempts=row[7],
            outage_attempts=row[8],
            mismatch_attempts=row[9],
            first_mismatch_at=row[10],
        )
