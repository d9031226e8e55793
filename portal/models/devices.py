"""The device trust registry: the signing keys agents have reported, which an administrator approved,
and every checkpoint head the agents reported (anchors outside the recordings)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime
from portal.models._types import str_enum


class KeyStatus(StrEnum):
    """Whether a reported device key may verify journals."""

    SEEN = "seen"  # reported by an agent, not yet approved: journals signed with it do not verify
    APPROVED = "approved"  # approved by an administrator (``python -m portal devices approve-key``)
    REVOKED = "revoked"


class DeviceKey(Base):
    """A device signing key (base64 Ed25519) and the device id it was reported with."""

    __tablename__ = "device_keys"

    public_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[KeyStatus] = mapped_column(str_enum(KeyStatus), default=KeyStatus.SEEN)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    approved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(200), default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(500), default=None)


class CheckpointAnchor(Base):
    """A signed checkpoint head an agent reported for a recording (kept for good: the latest one is
    what ``archive verify`` requires the recording's journal to reach)."""

    __tablename__ = "checkpoint_anchors"
    __table_args__ = (UniqueConstraint("recording_id", "seq", "line_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[str] = mapped_column(String(128), index=True)
    seq: Mapped[int] = mapped_column()
    prev: Mapped[str] = mapped_column(String(64))
    tree_size: Mapped[int] = mapped_column()
    root: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text())
    line_sha256: Mapped[str] = mapped_column(String(64))
    written_at: Mapped[str] = mapped_column(String(64))  # the device's wall clock on the checkpoint
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
