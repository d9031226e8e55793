"""Short-lived caches of rows that every request re-reads (sessions, grants), dropped on any write.

Each request to play a recording checks the session and the grant. Reading them from the database
each time made those checks most of the playback endpoint's cost. A :class:`ReadCache` keeps what was
read, and :class:`WriteCounter` makes it forget: every INSERT, UPDATE or DELETE this process sends to
a watched table bumps the counter once when the statement runs and again when its connection goes
back to the pool (after its commit or rollback), and an entry read under an older count is never
used. So a revocation, sign-out or disabled user made through this portal process takes effect on the
very next request, exactly as without the cache.

Writes made by another process (``python -m portal`` commands, a second portal replica) are not seen;
for them an entry lives at most ``ttl`` seconds (default 1 s). Setting the TTL to 0 disables caching.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, event

K = TypeVar("K")
V = TypeVar("V")
_DIRTY = "courtrec_watched_write"


class WriteCounter:
    """Counts writes to ``tables`` made through ``engine`` (see the module docstring)."""

    def __init__(self, engine: Engine, tables: Iterable[str]) -> None:
        self._tables = frozenset(tables)
        self._count = 0
        self._lock = threading.Lock()
        event.listen(engine, "after_cursor_execute", self._after_execute)
        event.listen(engine, "checkin", self._on_checkin)

    @property
    def count(self) -> int:
        return self._count

    def bump(self) -> None:
        with self._lock:
            self._count += 1

    def _after_execute(
        self, conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool
    ) -> None:
        if not _is_write(context, statement):
            return
        table = _target_table(context)
        if table is None or table in self._tables:
            conn.info[_DIRTY] = True
            self.bump()

    def _on_checkin(self, _dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(_DIRTY, False):
            self.bump()


def _is_write(context: Any, statement: str) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return True
    return statement.lstrip()[:6].upper() in {"INSERT", "UPDATE", "DELETE", "REPLAC"}


def _target_table(context: Any) -> str | None:
    """The DML statement's table name, or None when unknown (then every cache is dropped)."""
    compiled = getattr(context, "compiled", None)
    table = getattr(getattr(compiled, "statement", None), "table", None)
    name = getattr(table, "name", None)
    return name if isinstance(name, str) else None


class ReadCache(Generic[K, V]):
    """A bounded, thread-safe map of values read from the database, valid while ``counter`` stands
    still and for at most ``ttl`` seconds."""

    def __init__(self, counter: WriteCounter, *, ttl: float = 1.0, max_entries: int = 4096) -> None:
        self._counter = counter
        self._ttl = ttl
        self._max_entries = max_entries
        self._entries: OrderedDict[K, tuple[int, float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The cached value, or None when absent, stale or invalidated by a write."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            count, stored_at, value = entry
            if count != self._counter.count or time.monotonic() - stored_at >= self._ttl:
                del self._entries[key]
                return None
            return value

    def stamp(self) -> int:
        """The write count now: take it before reading what :meth:`put` will keep."""
        return self._counter.count

    def put(self, key: K, value: V, stamp: int) -> None:
        """Keep ``value``, read after :meth:`stamp` returned ``stamp``; if any write happened since,
        it will never be used."""
        if self._ttl <= 0:
            return
        with self._lock:
            self._entries[key] = (stamp, time.monotonic(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def forget(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)
