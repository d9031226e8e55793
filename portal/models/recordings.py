"""The recordings index: what the archive holds, fed by agent reports and reconciled with the bucket."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime
from portal.models._types import str_enum


class Verification(StrEnum):
    """The outcome of the last ``archive.preservation.verify`` run on a recording."""

    UNVERIFIED = "unverified"
    INTACT = "intact"
    FAILED = "failed"


class Recording(Base):
    """One recording (``recording_id`` as the agent named it) and where it belongs.

    ``case_id`` / ``hearing_id`` are resolved from the journaled case and room; ``complete`` means the
    journal holds a stop event; ``source`` says whether the row came from an agent report or from a
    bucket scan (a report is confirmed by the next scan).
    """

    __tablename__ = "recordings"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    court_code: Mapped[str] = mapped_column(String(64), default="")
    room: Mapped[str] = mapped_column(String(64), default="")
    journaled_case: Mapped[str] = mapped_column(String(128), default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True, default=None)
    hearing_id: Mapped[int | None] = mapped_column(ForeignKey("hearings.id"), index=True, default=None)
    prefix: Mapped[str] = mapped_column(String(400), default="")
    streams: Mapped[str] = mapped_column(Text(), default="[]")  # JSON list of stream names
    segment_count: Mapped[int] = mapped_column(default=0)
    duration_seconds: Mapped[float] = mapped_column(default=0.0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    complete: Mapped[bool] = mapped_column(default=False)
    in_bucket: Mapped[bool] = mapped_column(default=False)
    verification: Mapped[Verification] = mapped_column(
        str_enum(Verification), default=Verification.UNVERIFIED
    )
    verification_problems: Mapped[str] = mapped_column(Text(), default="")
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reconciled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
