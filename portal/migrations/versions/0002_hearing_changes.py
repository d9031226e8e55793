"""hearing changes: face masking per hearing, cancellation, revision

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 09:00:00

Adds to ``hearings``: ``mask_faces`` (mask protected participants on the public broadcast),
``cancelled_at`` and ``cancel_reason`` (a cancelled hearing says when and why), and ``revision``
(how often the hearing changed after scheduling: the SEQUENCE of its event in the notice feed).
Existing hearings get no masking and revision 0.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain op.add_column, not a batch: on SQLite a batch would copy the hearings table, which notices
    # and recordings reference (foreign keys are enforced), while ADD COLUMN changes it in place
    op.add_column(
        "hearings", sa.Column("mask_faces", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("hearings", sa.Column("cancelled_at", portal.db.UTCDateTime(), nullable=True))
    op.add_column("hearings", sa.Column("cancel_reason", sa.String(length=500), nullable=True))
    op.add_column("hearings", sa.Column("revision", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35 and later; PostgreSQL)
    for column in ("revision", "cancel_reason", "cancelled_at", "mask_faces"):
        op.drop_column("hearings", column)
