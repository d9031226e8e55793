"""device fleet and enforcement actions: registered devices, one-time enrolment codes, commands,
heartbeats; enforcement actions with their devices and linked recordings

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 11:00:00

Issue 15, items 4-6. ``fleet_devices`` holds each device an administrator registered (its court and
officer) and its latest heartbeat; ``enrolment_codes`` keeps only the SHA-256 of each one-time code;
``device_commands`` holds what operators asked a device (pending until acknowledged);
``device_heartbeats`` keeps every heartbeat (coverage and clock drift). ``enforcement_actions`` and
their devices and recordings link what was done on site to what was filmed. All start empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fleet_devices",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.Column("officer", sa.String(length=200), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=True),
        sa.Column("enrolled_at", portal.db.UTCDateTime(), nullable=True),
        sa.Column("last_heartbeat_at", portal.db.UTCDateTime(), nullable=True),
        sa.Column("battery_percent", sa.Integer(), nullable=True),
        sa.Column("free_bytes", sa.BigInteger(), nullable=True),
        sa.Column("backlog_segments", sa.Integer(), nullable=True),
        sa.Column("backlog_bytes", sa.BigInteger(), nullable=True),
        sa.Column("agent_version", sa.String(length=64), nullable=False),
        sa.Column("recording_state", sa.String(length=16), nullable=False),
        sa.Column("recording_id", sa.String(length=128), nullable=True),
        sa.Column("position_lat", sa.Float(), nullable=True),
        sa.Column("position_lon", sa.Float(), nullable=True),
        sa.Column("position_at", portal.db.UTCDateTime(), nullable=True),
        sa.Column("clock_offset_seconds", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["court_id"], ["courts.id"], name=op.f("fk_fleet_devices_court_id_courts")),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_fleet_devices")),
    )
    op.create_index(op.f("ix_fleet_devices_court_id"), "fleet_devices", ["court_id"], unique=False)
    _device_table(
        "enrolment_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", portal.db.UTCDateTime(), nullable=False),
        sa.Column("used_at", portal.db.UTCDateTime(), nullable=True),
        sa.Column("used_key", sa.String(length=64), nullable=True),
        sa.UniqueConstraint("code_sha256", name=op.f("uq_enrolment_codes_code_sha256")),
    )
    _device_table(
        "device_commands",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "activate",
                "deactivate",
                "go_live",
                "stop_live",
                name="commandaction",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", portal.db.UTCDateTime(), nullable=False),
        sa.Column("acked_at", portal.db.UTCDateTime(), nullable=True),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
    )
    _device_table(
        "device_heartbeats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", portal.db.UTCDateTime(), nullable=False),
        sa.Column("recording_state", sa.String(length=16), nullable=False),
        sa.Column("recording_id", sa.String(length=128), nullable=True),
        sa.Column("clock_offset_seconds", sa.Float(), nullable=False),
        sa.Column("drifted", sa.Boolean(), nullable=False),
    )
    op.create_index(
        op.f("ix_device_heartbeats_received_at"), "device_heartbeats", ["received_at"], unique=False
    )
    op.create_index(
        op.f("ix_device_heartbeats_recording_id"), "device_heartbeats", ["recording_id"], unique=False
    )
    op.create_table(
        "enforcement_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("starts_at", portal.db.UTCDateTime(), nullable=False),
        sa.Column("ends_at", portal.db.UTCDateTime(), nullable=True),
        sa.Column("required_recorders", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_enforcement_actions_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_enforcement_actions_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enforcement_actions")),
    )
    op.create_index(op.f("ix_enforcement_actions_case_id"), "enforcement_actions", ["case_id"], unique=False)
    op.create_table(
        "enforcement_action_devices",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["enforcement_actions.id"],
            name=op.f("fk_enforcement_action_devices_action_id_enforcement_actions"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["fleet_devices.device_id"],
            name=op.f("fk_enforcement_action_devices_device_id_fleet_devices"),
        ),
        sa.PrimaryKeyConstraint("action_id", "device_id", name=op.f("pk_enforcement_action_devices")),
    )
    op.create_table(
        "enforcement_action_recordings",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.String(length=128), nullable=False),
        sa.Column("linked_at", portal.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["enforcement_actions.id"],
            name=op.f("fk_enforcement_action_recordings_action_id_enforcement_actions"),
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_enforcement_action_recordings_recording_id_recordings"),
        ),
        sa.PrimaryKeyConstraint("action_id", "recording_id", name=op.f("pk_enforcement_action_recordings")),
    )
    op.create_index(
        op.f("ix_enforcement_action_recordings_recording_id"),
        "enforcement_action_recordings",
        ["recording_id"],
        unique=False,
    )


def _device_table(name: str, *columns: sa.Column[object] | sa.UniqueConstraint) -> None:
    """A table of rows per device: its columns, ``device_id`` (indexed, a foreign key), its key."""
    op.create_table(
        name,
        *columns,
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["fleet_devices.device_id"], name=op.f(f"fk_{name}_device_id_fleet_devices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    op.create_index(op.f(f"ix_{name}_device_id"), name, ["device_id"], unique=False)


def downgrade() -> None:
    op.drop_table("enforcement_action_recordings")
    op.drop_table("enforcement_action_devices")
    op.drop_table("enforcement_actions")
    op.drop_table("device_heartbeats")
    op.drop_table("device_commands")
    op.drop_table("enrolment_codes")
    op.drop_table("fleet_devices")
