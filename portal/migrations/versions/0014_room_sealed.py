"""room sealed: whether the room's recorder last reported a sealed span (封存) open

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 13:20:00

Adds ``room_states.sealed`` (boolean, not null, false for existing rows). The broadcast scheduler kept
the seal only in memory, so after a portal restart a room's public broadcast resumed until the
recorder's next report (or for good if it stayed silent). Stored, the seal holds the broadcast cut
across a restart and while the recorder is silent, until a report says the seal ended (issue 14).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("room_states", sa.Column("sealed", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("room_states", "sealed")
