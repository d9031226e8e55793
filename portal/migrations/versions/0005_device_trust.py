"""device trust: reported device keys (approved by an administrator) and anchored checkpoint heads

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:00:00

Issue 11, findings 6 and 7. ``device_keys`` holds every signing key an agent reported, with the
device id it came with and whether an administrator approved it (``python -m portal devices
approve-key``); only approved keys are exported in the signed key list. ``checkpoint_anchors`` keeps
every signed checkpoint head the agents reported, so ``archive verify`` can require a recording's
journal to reach its latest one. Both start empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_keys",
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum("seen", "approved", "revoked", name="keystatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("first_seen_at", portal.db.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", portal.db.UTCDateTime(), nullable=False),
        sa.Column("approved_at", portal.db.UTCDateTime(), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("public_key", name=op.f("pk_device_keys")),
    )
    op.create_index(op.f("ix_device_keys_device_id"), "device_keys", ["device_id"], unique=False)
    op.create_table(
        "checkpoint_anchors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.String(length=128), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("prev", sa.String(length=64), nullable=False),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("line_sha256", sa.String(length=64), nullable=False),
        sa.Column("written_at", sa.String(length=64), nullable=False),
        sa.Column("received_at", portal.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoint_anchors")),
        sa.UniqueConstraint(
            "recording_id", "seq", "line_sha256", name=op.f("uq_checkpoint_anchors_recording_id")
        ),
    )
    op.create_index(
        op.f("ix_checkpoint_anchors_recording_id"), "checkpoint_anchors", ["recording_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_checkpoint_anchors_recording_id"), table_name="checkpoint_anchors")
    op.drop_table("checkpoint_anchors")
    op.drop_index(op.f("ix_device_keys_device_id"), table_name="device_keys")
    op.drop_table("device_keys")
