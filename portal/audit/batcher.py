"""Group commit for audit records that accompany a read (playback started, segment URL issued).

Such a request changes nothing but the audit log, yet must not answer before its record is durable.
Committing one transaction per request serialises every playback request on one fsync. Here one
writer thread takes every record queued meanwhile and appends them all in a single transaction (the
same :func:`portal.audit.trail.append`, so the hash chain and its locks are unchanged); each caller waits
for the commit that holds its record. Nothing is acknowledged before it is committed: if the commit
fails, every caller of that batch gets the error and its request fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from portal.audit.trail import AuditEntry, append_all
from portal.db import core_transaction
from portal.errors import AuditUnavailableError

_MAX_BATCH = 512


@dataclass(frozen=True, slots=True)
class _Pending:
    entry: AuditEntry
    at: datetime
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future[int]


class AuditBatcher:
    """Appends queued audit entries in shared transactions from one writer thread."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()
        self._closed = False

    async def record(self, entry: AuditEntry, *, at: datetime) -> int:
        """Append ``entry`` and wait until it is committed; returns its seq.

        Raises AuditUnavailableError when the commit failed or the batcher is closed.
        """
        loop = asyncio.get_running_loop()
        pending = _Pending(entry, at, loop, loop.create_future())
        with self._guard:
            if self._closed:
                raise AuditUnavailableError("the audit log is shutting down")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="audit-group-commit", daemon=True)
                self._thread.start()
            self._queue.put(pending)
        return await pending.done

    def close(self) -> None:
        """Commit what is queued, then stop the writer thread. Later records fail."""
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
                self._settle(batch, self._commit(batch))
            if stop:
                return

    def _commit(self, batch: list[_Pending]) -> list[int] | AuditUnavailableError:
        try:
            with core_transaction(self._engine) as connection:
                return append_all(connection, [(pending.entry, pending.at) for pending in batch])
        except Exception as exc:
            return AuditUnavailableError(f"the audit log could not be written: {exc}")

    @staticmethod
    def _settle(batch: list[_Pending], outcome: list[int] | AuditUnavailableError) -> None:
        """Wake the waiting requests: one call into each event loop for the whole batch."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[int], int | None]]] = {}
        for index, pending in enumerate(batch):
            seq = None if isinstance(outcome, AuditUnavailableError) else outcome[index]
            by_loop.setdefault(pending.loop, []).append((pending.done, seq))
        error = outcome if isinstance(outcome, AuditUnavailableError) else None
        for loop, waiters in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits any more
                loop.call_soon_threadsafe(_wake, waiters, error)


def _wake(waiters: list[tuple[asyncio.Future[int], int | None]], error: BaseException | None) -> None:
    for future, seq in waiters:
        if future.done():  # the request was cancelled (client gone); its record is committed anyway
            continue
        if error is not None or seq is None:
            future.set_exception(error or AuditUnavailableError("the audit log lost a record"))
        else:
            future.set_result(seq)
