"""Group commit for audit records that accompany a read (playback started, segment URL issued).

Such a request changes nothing but the audit log, yet must not answer before its record is durable.
Committing one transaction per request serialises every playback request on one fsync. Here one
writer thread takes every record queued meanwhile and appends them all in a single transaction (the
same :func:`portal.audit.append`, so the hash chain and its locks are unchanged); each caller waits
for the commit that holds its record. Nothing is acknowledged before it is committed: if the commit
fails, every caller of that batch gets the error and its request fails.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from portal.audit import AuditEntry, append
from portal.db import transaction
from portal.errors import AuditUnavailableError

_MAX_BATCH = 512


@dataclass(frozen=True, slots=True)
class _Pending:
    entry: AuditEntry
    at: datetime
    done: Future[int]


class AuditBatcher:
    """Appends queued audit entries in shared transactions from one writer thread."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()
        self._closed = False

    def submit(self, entry: AuditEntry, *, at: datetime) -> Future[int]:
        """Queue ``entry``; the future gives its seq once committed (or AuditUnavailableError)."""
        done: Future[int] = Future()
        with self._guard:
            if self._closed:
                done.set_exception(AuditUnavailableError("the audit log is shutting down"))
                return done
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="audit-group-commit", daemon=True)
                self._thread.start()
            self._queue.put(_Pending(entry, at, done))
        return done

    async def record(self, entry: AuditEntry, *, at: datetime) -> int:
        """Append ``entry`` and wait until it is committed; returns its seq."""
        return await asyncio.wrap_future(self.submit(entry, at=at))

    def close(self) -> None:
        """Commit what is queued, then stop the writer thread. Later submits fail."""
        with self._guard:
            self._closed = True
            thread = self._thread
            self._queue.put(None)
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch = [first] if first is not None else []
            stop = first is None
            while len(batch) < _MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                else:
                    batch.append(item)
            if batch:
                self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            with transaction(self._sessions) as db:
                seqs = [append(db, pending.entry, at=pending.at) for pending in batch]
        except Exception as exc:
            error = AuditUnavailableError(f"the audit log could not be written: {exc}")
            for pending in batch:
                pending.done.set_exception(error)
            return
        for pending, seq in zip(batch, seqs, strict=True):
            pending.done.set_result(seq)
