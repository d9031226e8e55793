"""device request signatures and key revocation: nonces of signed fleet requests, revoked keys

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 12:00:00

Issue 15. A device signs each fleet request (heartbeat, commands, acknowledgements) with its enrolled
key; ``device_request_nonces`` keeps each request's nonce until its timestamp leaves the accepted
window, so a replayed request is refused. ``device_keys`` gains who revoked a key, when and why
(``python -m portal devices revoke-key``). Starts empty; existing keys are not revoked.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_request_nonces",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("expires_at", portal.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "nonce", name=op.f("pk_device_request_nonces")),
    )
    op.create_index(
        op.f("ix_device_request_nonces_expires_at"), "device_request_nonces", ["expires_at"], unique=False
    )
    with op.batch_alter_table("device_keys") as batch:
        batch.add_column(sa.Column("revoked_at", portal.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("revoked_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("revoked_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("device_keys") as batch:
        batch.drop_column("revoked_reason")
        batch.drop_column("revoked_by")
        batch.drop_column("revoked_at")
    op.drop_index(op.f("ix_device_request_nonces_expires_at"), table_name="device_request_nonces")
    op.drop_table("device_request_nonces")
