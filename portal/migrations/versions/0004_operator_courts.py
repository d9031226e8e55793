"""operator courts: the courts an operator may watch besides its own

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:00:00

Adds ``operator_courts`` (user, court): a command-centre operator sees the live feeds of the rooms of
its own court and of every court granted here (a provincial command centre is granted several).
Nobody is granted anything by the upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator_courts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_operator_courts_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["court_id"], ["courts.id"], name=op.f("fk_operator_courts_court_id_courts")),
        sa.PrimaryKeyConstraint("user_id", "court_id", name=op.f("pk_operator_courts")),
    )
    op.create_index(op.f("ix_operator_courts_court_id"), "operator_courts", ["court_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_operator_courts_court_id"), table_name="operator_courts")
    op.drop_table("operator_courts")
