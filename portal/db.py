"""The SQL database: engine construction for SQLite and PostgreSQL, the declarative base, UTC times.

SQLite runs in WAL mode with foreign keys on, and every transaction starts with ``BEGIN IMMEDIATE``
so two writers never both read the audit chain's tail and then race to append (SQLite would answer
the loser with "database is locked" instead of waiting). PostgreSQL serialises audit appends with
an advisory lock (see ``audit``). Engines are built on demand, never at import.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from portal.errors import ConfigurationError

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLITE_BUSY_TIMEOUT_MS = 15000
_WRITER_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class Base(DeclarativeBase):
    """Declarative base of every portal table (constraint names are deterministic for Alembic)."""

    metadata = MetaData(naming_convention=_NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone; we store naive UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: use timezone-aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for ``url`` (``sqlite:///FILE`` or ``postgresql+psycopg://…``).

    A bare ``postgresql://`` URL is taken to mean psycopg 3. Raises ConfigurationError for other
    backends.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql+psycopg://"):
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    raise ConfigurationError(
        "COURTREC_DATABASE_URL must be sqlite:///PATH or postgresql+psycopg://USER:PASS@HOST/DB"
    )


def make_sessionmaker(engine: Engine, *, readonly: bool = False) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit.

    ``readonly`` sessions (public pages) start SQLite transactions with a plain ``BEGIN``, so they
    never wait for a writer; they must not write.
    """
    bind = engine.execution_options(portal_readonly=True) if readonly else engine
    return sessionmaker(bind, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any exception.

    On SQLite, writers of this process queue on a lock first: SQLite's own busy handler polls with
    sleeps of up to 100 ms, which a waiting request would feel as latency.
    """
    lock = _writer_lock(factory)
    with lock, factory() as session, session.begin():
        yield session


@contextmanager
def core_transaction(engine: Engine) -> Iterator[Connection]:
    """:func:`transaction` without the ORM (a Core connection): for the few hot write paths."""
    with _writer_lock(engine), engine.begin() as connection:
        yield connection


def _writer_lock(factory: sessionmaker[Session] | Engine) -> AbstractContextManager[object]:
    bind = factory if isinstance(factory, Engine) else factory.kw.get("bind")
    if not isinstance(bind, Engine) or bind.dialect.name != "sqlite":
        return nullcontext()
    if bind.get_execution_options().get("portal_readonly", False):
        return nullcontext()
    with _LOCKS_GUARD:
        return _WRITER_LOCKS.setdefault(bind.url.render_as_string(hide_password=False), threading.Lock())


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        readonly = connection.get_execution_options().get("portal_readonly", False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")
