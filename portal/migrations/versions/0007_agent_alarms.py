"""agent alarms: the alarms a capture agent reported active for a recording (disk full, uploads that
do not match, recording behind real time), shown to staff

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:20:00

Adds ``recordings.agent_alarms`` (a JSON list of the agent's alarm lines, ``[]`` when none) and
``recordings.agent_alarms_at`` (when the agent last said which alarms are active).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (not a batch copy): SQLite cannot drop the table that review requests refer to
    op.add_column("recordings", sa.Column("agent_alarms", sa.Text(), nullable=False, server_default="[]"))
    op.add_column("recordings", sa.Column("agent_alarms_at", portal.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("recordings", "agent_alarms_at")  # SQLite >= 3.35 drops a column in place
    op.drop_column("recordings", "agent_alarms")
