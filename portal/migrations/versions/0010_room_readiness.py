"""room readiness: the clerk's last pre-hearing readiness check, as the room's recorder reports it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00

Adds ``room_states.readiness`` (JSON text, nullable): the readiness check of the recording in
progress (when, by whom, ready or not, each item checked) from the clerk's console on the courtroom
PC. The journaled ``readiness`` event stays the record; this is what the staff pages show now.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("room_states", sa.Column("readiness", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("room_states", "readiness")
