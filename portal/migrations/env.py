"""Alembic environment: runs migrations on the connection handed over by ``portal.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from portal.db import Base
from portal.models import AuditRecord  # noqa: F401  (registers every table on Base.metadata)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `python -m portal migrate` (portal.migrate.upgrade)")
_run(connection)
