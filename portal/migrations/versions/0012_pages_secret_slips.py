"""secret slips: once-shown access passwords and enrolment codes, readable by any portal process

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 12:30:00

Adds ``secret_slips``: the slip a clerk or administrator sees once after the POST that made a secret
(PRG). The row's id is a hash of the slip's URL token and its content is encrypted with a key derived
from that token, so the database alone reveals nothing; rows are deleted when shown or expired.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secret_slips",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.LargeBinary(length=12), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(length=4096), nullable=False),
        sa.Column("expires_at", portal.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secret_slips")),
    )
    with op.batch_alter_table("secret_slips", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_secret_slips_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("secret_slips", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_secret_slips_expires_at"))
    op.drop_table("secret_slips")
