"""drain estimate: each device's measured upload rate and estimated time to send its backlog

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:15:00

Adds ``fleet_devices.upload_bytes_per_second`` (what the store took lately, as the device measured
it) and ``fleet_devices.drain_seconds`` (its backlog over that rate; NULL when unknown: nothing was
uploaded lately, e.g. the link or the store is down), both from the latest heartbeat (issue 15 item 3).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("fleet_devices", sa.Column("upload_bytes_per_second", sa.BigInteger(), nullable=True))
    op.add_column("fleet_devices", sa.Column("drain_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("fleet_devices", "drain_seconds")
    op.drop_column("fleet_devices", "upload_bytes_per_second")
