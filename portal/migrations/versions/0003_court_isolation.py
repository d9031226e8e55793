"""court isolation: case codes unique per court, recordings know their court, link alarms

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 09:00:00

Issue 10, finding 1. ``cases.agent_code`` becomes unique per court (``uq_cases_court_id_agent_code``
replaces ``uq_cases_agent_code``); case numbers stay unique across courts. ``recordings`` gets
``court_id`` (the court of the device that made it, filled from ``court_code``) and ``link_alarm``,
``link_alarm_detail``, ``link_alarm_at`` (a link left for a person to decide). Existing links are
not changed; a recording already linked to a case of another court than its own, or whose court
code names no court, is flagged for a person.

On SQLite the two tables are rebuilt (a UNIQUE constraint cannot be dropped in place): the rows are
copied aside, the table is dropped and created again under its own name and the rows copied back,
with foreign keys deferred to the commit. Alembic's batch mode would rename a copy into place, which
leaves the referencing rows of ``hearings``, ``parties``, ``grants`` … counted as orphans.

The downgrade refuses while two courts share an agent code (the old constraint cannot hold them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

import portal.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_LINK_ALARMS = ("unknown_court", "court_mismatch", "ambiguous", "conflicting_report", "cross_court_link")


def _cases_table(*, per_court: bool) -> list[SchemaItem]:
    unique = (
        sa.UniqueConstraint("court_id", "agent_code", name="uq_cases_court_id_agent_code")
        if per_court
        else sa.UniqueConstraint("agent_code", name="uq_cases_agent_code")
    )
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("agent_code", sa.String(length=64), nullable=True),
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("cause", sa.String(length=200), nullable=False),
        sa.Column("filing_date", sa.Date(), nullable=False),
        sa.Column("panel", sa.String(length=300), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=True),
        sa.Column("clerk_id", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["clerk_id"], ["users.id"], name="fk_cases_clerk_id_users"),
        sa.ForeignKeyConstraint(["court_id"], ["courts.id"], name="fk_cases_court_id_courts"),
        sa.ForeignKeyConstraint(["judge_id"], ["users.id"], name="fk_cases_judge_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        unique,
        sa.UniqueConstraint("number", name="uq_cases_number"),
    ]


_CASES_INDEXES = {"ix_cases_court_id": ["court_id"]}


def _recordings_table(*, with_court: bool) -> list[SchemaItem]:
    items: list[SchemaItem] = [
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("court_code", sa.String(length=64), nullable=False),
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("journaled_case", sa.String(length=128), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("hearing_id", sa.Integer(), nullable=True),
        sa.Column("prefix", sa.String(length=400), nullable=False),
        sa.Column("streams", sa.Text(), nullable=False),
        sa.Column("segment_count", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.Double(), nullable=False),
        sa.Column("started_at", portal.db.UTCDateTime(), nullable=True),
        sa.Column("ended_at", portal.db.UTCDateTime(), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("in_bucket", sa.Boolean(), nullable=False),
        sa.Column(
            "verification",
            sa.Enum("unverified", "intact", "failed", name="verification", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("verification_problems", sa.Text(), nullable=False),
        sa.Column("verified_at", portal.db.UTCDateTime(), nullable=True),
        sa.Column("reported_at", portal.db.UTCDateTime(), nullable=True),
        sa.Column("reconciled_at", portal.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_recordings_case_id_cases"),
        sa.ForeignKeyConstraint(["hearing_id"], ["hearings.id"], name="fk_recordings_hearing_id_hearings"),
        sa.PrimaryKeyConstraint("id", name="pk_recordings"),
    ]
    if with_court:
        items += [*_recordings_new_columns(), _recordings_court_fk()]
    return items


def _recordings_new_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("court_id", sa.Integer(), nullable=True),
        sa.Column(
            "link_alarm",
            sa.Enum(*_LINK_ALARMS, name="linkalarm", native_enum=False, length=24),
            nullable=True,
        ),
        sa.Column("link_alarm_detail", sa.Text(), server_default="", nullable=False),
        sa.Column("link_alarm_at", portal.db.UTCDateTime(), nullable=True),
    ]


def _recordings_court_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["court_id"], ["courts.id"], name="fk_recordings_court_id_courts")


_RECORDINGS_INDEXES = {"ix_recordings_case_id": ["case_id"], "ix_recordings_hearing_id": ["hearing_id"]}
_OLD_RECORDING_COLUMNS = [c.name for c in _recordings_table(with_court=False) if isinstance(c, sa.Column)]


def _rebuild_on_sqlite(
    name: str, items: list[SchemaItem], indexes: dict[str, list[str]], copied: list[str]
) -> None:
    """Recreate table ``name`` from ``items`` under its own name, keeping the ``copied`` columns."""
    columns = ", ".join(copied)
    # names are this migration's own constants, never input
    op.execute(f"CREATE TABLE _old_{name} AS SELECT * FROM {name}")  # noqa: S608
    op.drop_table(name)
    op.create_table(name, *items)
    op.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM _old_{name}")  # noqa: S608
    op.drop_table(f"_old_{name}")
    for index, index_columns in indexes.items():
        op.create_index(index, name, index_columns, unique=False)


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    cases_columns = [c.name for c in _cases_table(per_court=True) if isinstance(c, sa.Column)]
    if _is_sqlite():
        # the referencing rows are orphans between the drop and the copy back; checked at commit
        op.execute("PRAGMA defer_foreign_keys=ON")
        _rebuild_on_sqlite("cases", _cases_table(per_court=True), _CASES_INDEXES, cases_columns)
        _rebuild_on_sqlite(
            "recordings",
            _recordings_table(with_court=True),
            _RECORDINGS_INDEXES,
            _OLD_RECORDING_COLUMNS,
        )
    else:
        op.drop_constraint("uq_cases_agent_code", "cases", type_="unique")
        op.create_unique_constraint("uq_cases_court_id_agent_code", "cases", ["court_id", "agent_code"])
        for column in _recordings_new_columns():
            op.add_column("recordings", column)
        op.create_foreign_key("fk_recordings_court_id_courts", "recordings", "courts", ["court_id"], ["id"])
    op.create_index("ix_recordings_court_id", "recordings", ["court_id"], unique=False)
    op.execute(
        "UPDATE recordings SET court_id ="
        " (SELECT courts.id FROM courts WHERE courts.code = recordings.court_code)"
    )
    op.execute(
        "UPDATE recordings SET link_alarm = 'unknown_court',"
        " link_alarm_detail = 'migration 0003: the journaled court code names no court of the portal'"
        " WHERE court_id IS NULL"
    )
    op.execute(
        "UPDATE recordings SET link_alarm = 'cross_court_link',"
        " link_alarm_detail = 'migration 0003: linked, before the court check, to a case of another court'"
        " WHERE case_id IS NOT NULL AND court_id IS NOT NULL"
        " AND court_id <> (SELECT cases.court_id FROM cases WHERE cases.id = recordings.case_id)"
    )


def downgrade() -> None:
    shared = op.get_bind().execute(
        sa.text(
            "SELECT agent_code FROM cases WHERE agent_code IS NOT NULL"
            " GROUP BY agent_code HAVING COUNT(*) > 1"
        )
    )
    codes = [row[0] for row in shared]
    if codes:
        raise RuntimeError(
            f"cannot downgrade below 0003: courts share the agent codes {codes!r}; give them distinct codes"
        )
    op.drop_index("ix_recordings_court_id", table_name="recordings")
    if _is_sqlite():
        op.execute("PRAGMA defer_foreign_keys=ON")
        old_cases = [c.name for c in _cases_table(per_court=False) if isinstance(c, sa.Column)]
        _rebuild_on_sqlite("cases", _cases_table(per_court=False), _CASES_INDEXES, old_cases)
        _rebuild_on_sqlite(
            "recordings",
            _recordings_table(with_court=False),
            _RECORDINGS_INDEXES,
            _OLD_RECORDING_COLUMNS,
        )
    else:
        op.drop_constraint("fk_recordings_court_id_courts", "recordings", type_="foreignkey")
        for column in ("link_alarm_at", "link_alarm_detail", "link_alarm", "court_id"):
            op.drop_column("recordings", column)
        op.drop_constraint("uq_cases_court_id_agent_code", "cases", type_="unique")
        op.create_unique_constraint("uq_cases_agent_code", "cases", ["agent_code"])
