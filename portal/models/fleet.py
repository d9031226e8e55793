"""The device fleet (issue 15): each body camera or recorder the portal knows, its latest heartbeat,
its one-time enrolment codes, the commands operators send it, and its heartbeat history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime
from portal.models._types import str_enum


class CommandAction(StrEnum):
    """What an operator asks a device to do (the agent API's ``action``)."""

    ACTIVATE = "activate"
    DEACTIVATE = "deactivate"
    GO_LIVE = "go_live"
    STOP_LIVE = "stop_live"


class FleetDevice(Base):
    """A device registered by an administrator (for a court, with its officer) and what its latest
    heartbeat said. ``public_key`` is set once the device enrolled with a one-time code."""

    __tablename__ = "fleet_devices"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("courts.id"), index=True)
    officer: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    public_key: Mapped[str | None] = mapped_column(String(64), default=None)
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    battery_percent: Mapped[int | None] = mapped_column(default=None)
    free_bytes: Mapped[int | None] = mapped_column(BigInteger(), default=None)
    backlog_segments: Mapped[int | None] = mapped_column(default=None)
    backlog_bytes: Mapped[int | None] = mapped_column(BigInteger(), default=None)
    upload_bytes_per_second: Mapped[int | None] = mapped_column(BigInteger(), default=None)
    drain_seconds: Mapped[float | None] = mapped_column(Float(), default=None)  # None: unknown
    agent_version: Mapped[str] = mapped_column(String(64), default="")
    recording_state: Mapped[str] = mapped_column(String(16), default="")
    recording_id: Mapped[str | None] = mapped_column(String(128), default=None)
    position_lat: Mapped[float | None] = mapped_column(Float(), default=None)
    position_lon: Mapped[float | None] = mapped_column(Float(), default=None)
    position_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    clock_offset_seconds: Mapped[float | None] = mapped_column(Float(), default=None)


class EnrolmentCode(Base):
    """A one-time enrolment code of a device: only its SHA-256 is kept; it expires and is used once."""

    __tablename__ = "enrolment_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("fleet_devices.device_id"), index=True)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    used_key: Mapped[str | None] = mapped_column(String(64), default=None)


class DeviceCommand(Base):
    """A command an operator sent a device; pending until the device acknowledges it."""

    __tablename__ = "device_commands"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("fleet_devices.device_id"), index=True)
    action: Mapped[CommandAction] = mapped_column(str_enum(CommandAction))
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    result: Mapped[str | None] = mapped_column(String(16), default=None)
    detail: Mapped[str] = mapped_column(String(500), default="")


class DeviceHeartbeat(Base):
    """One heartbeat as received (what coverage and clock drift are judged from)."""

    __tablename__ = "device_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("fleet_devices.device_id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    recording_state: Mapped[str] = mapped_column(String(16))
    recording_id: Mapped[str | None] = mapped_column(String(128), default=None, index=True)
    clock_offset_seconds: Mapped[float] = mapped_column(Float())
    drifted: Mapped[bool] = mapped_column(default=False)


class DeviceRequestNonce(Base):
    """A nonce a device used in a signed fleet request, kept until its timestamp leaves the accepted
    window, so the same request sent again is refused as a replay."""

    __tablename__ = "device_request_nonces"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
