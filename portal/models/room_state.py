"""The latest state each courtroom's recorder service reported (``python -m capture serve``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime
from portal.models._types import str_enum


class RecorderState(StrEnum):
    """What a courtroom's recorder said it was doing."""

    RECORDING = "recording"
    PAUSED = "paused"
    IDLE = "idle"
    FAULT = "fault"


class RoomState(Base):
    """One row per courtroom: its recorder's latest report (``reported_at`` is the portal's time).

    ``sources`` is a JSON list of ``{"name", "problems"}``; ``readiness`` the clerk's last readiness
    check of the recording in progress (``{"at", "by", "ready", "checks"}``, see the agent API);
    ``agent_time`` is the recorder's own clock (a large difference to ``reported_at`` means a wrong
    clock on the courtroom PC). ``sealed``: the last report said a sealed span (封存) is open — kept
    here so the public broadcast stays cut across a portal restart and while the recorder is silent."""

    __tablename__ = "room_states"

    courtroom_id: Mapped[int] = mapped_column(ForeignKey("courtrooms.id"), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(128))
    state: Mapped[RecorderState] = mapped_column(str_enum(RecorderState))
    hearing_id: Mapped[int | None] = mapped_column(default=None)
    recording_id: Mapped[str | None] = mapped_column(String(128), default=None)
    detail: Mapped[str] = mapped_column(String(500), default="")
    sources: Mapped[str] = mapped_column(Text(), default="[]")
    storage_headroom_hours: Mapped[float | None] = mapped_column(Float(), default=None)
    upload_backlog: Mapped[int] = mapped_column(default=0)
    agent_time: Mapped[datetime] = mapped_column(UTCDateTime())
    schedule_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    readiness: Mapped[str | None] = mapped_column(Text(), default=None)  # JSON: the last readiness check
    sealed: Mapped[bool] = mapped_column(default=False, server_default=false())  # a sealed span is open
