"""gap explanations and sealed spans: the presiding judge's explanation of each gap, and a grant's
judge-only permission to play sealed spans

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00

Adds ``gap_explanations`` (2017 rules art. 4: the judge's account, when, the hash of the journal
lines of the gap explained, the explanation it supersedes) and ``grants.include_sealed`` (false for
every existing grant: sealed spans stay withheld from them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gap_explanations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.String(length=128), nullable=False),
        sa.Column("gap_key", sa.Integer(), nullable=False),
        sa.Column("gap_sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=False),
        sa.Column("explained_at", portal.db.UTCDateTime(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["judge_id"], ["users.id"], name=op.f("fk_gap_explanations_judge_id_users")),
        sa.ForeignKeyConstraint(
            ["recording_id"], ["recordings.id"], name=op.f("fk_gap_explanations_recording_id_recordings")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["gap_explanations.id"],
            name=op.f("fk_gap_explanations_supersedes_id_gap_explanations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gap_explanations")),
    )
    with op.batch_alter_table("gap_explanations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gap_explanations_recording_id"), ["recording_id"], unique=False)
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("include_sealed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_column("include_sealed")
    with op.batch_alter_table("gap_explanations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gap_explanations_recording_id"))
    op.drop_table("gap_explanations")
