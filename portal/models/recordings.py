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


class LinkAlarm(StrEnum):
    """Why a recording was left for a person to link instead of being linked by the index."""

    UNKNOWN_COURT = "unknown_court"  # the journaled court is not a court of the portal
    COURT_MISMATCH = "court_mismatch"  # the object keys name another court than the journal
    AMBIGUOUS = "ambiguous"  # more than one case or hearing of its court could be its own
    CONFLICTING_REPORT = "conflicting_report"  # a later report or scan names another court/room/case
    CROSS_COURT_LINK = "cross_court_link"  # linked to another court's case before migration 0003


class Recording(Base):
    """One recording (``recording_id`` as the agent named it) and where it belongs.

    ``court_id`` is the court of the device that made it (its journaled court code); ``case_id`` /
    ``hearing_id`` are resolved within that court from the journaled case and room, once: a link,
    when made, never moves. ``link_alarm`` says why a recording was left unlinked (or why a later
    report was not applied) for a person to decide. ``complete`` means the journal holds a stop event.
    """

    __tablename__ = "recordings"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    court_code: Mapped[str] = mapped_column(String(64), default="")
    court_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id"), index=True, default=None)
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
    link_alarm: Mapped[LinkAlarm | None] = mapped_column(str_enum(LinkAlarm), default=None)
    link_alarm_detail: Mapped[str] = mapped_column(Text(), default="", server_default="")
    link_alarm_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # the alarms the agent last reported active (JSON list of its alarm lines) and when
    agent_alarms: Mapped[str] = mapped_column(Text(), default="[]", server_default="[]")
    agent_alarms_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
