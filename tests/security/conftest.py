"""Security tests run on the portal test world (two courts, SQLite and PostgreSQL) of ``tests/portal``."""

from tests.portal.conftest import (
    openapi_document,
    pg_cluster,
    portal,
    postgresql_template,
    recorded_bucket,
    recording_store,
    session_now,
    sqlite_template,
    template,
)

__all__ = [
    "openapi_document",
    "pg_cluster",
    "portal",
    "postgresql_template",
    "recorded_bucket",
    "recording_store",
    "session_now",
    "sqlite_template",
    "template",
]
