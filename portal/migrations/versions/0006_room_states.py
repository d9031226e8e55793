"""room states: the latest state each courtroom's recorder service reported

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-03 09:00:00

Adds ``room_states`` (one row per courtroom): recording / paused / idle / fault, the hearing and
recording, per-source problems, storage headroom, upload backlog, and when it was reported. The
portal raises its "hearing not recording" alarm from it. Nothing is filled by the upgrade.
(Numbered 0006 so that a 0005 made at the same time can be chained before it.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "room_states",
        sa.Column("courtroom_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "recording", "paused", "idle", "fault", name="recorderstate", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("hearing_id", sa.Integer(), nullable=True),
        sa.Column("recording_id", sa.String(length=128), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column("storage_headroom_hours", sa.Float(), nullable=True),
        sa.Column("upload_backlog", sa.Integer(), nullable=False),
        sa.Column("agent_time", portal.db.UTCDateTime(), nullable=False),
        sa.Column("schedule_fetched_at", portal.db.UTCDateTime(), nullable=True),
        sa.Column("reported_at", portal.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["courtroom_id"], ["courtrooms.id"], name=op.f("fk_room_states_courtroom_id_courtrooms")
        ),
        sa.PrimaryKeyConstraint("courtroom_id", name=op.f("pk_room_states")),
    )


def downgrade() -> None:
    op.drop_table("room_states")
