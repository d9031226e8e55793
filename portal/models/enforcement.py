"""Enforcement actions of execution cases (issue 15, SPC 2013 opinion art. 15-18): what was done, when
and where, which devices filmed it, and the recordings linked to it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime


class EnforcementAction(Base):
    """One enforcement action (查封, 扣押, 冻结, 搜查, 拘留, 强制迁出 …) of a case; ``ends_at`` None:
    under way. ``required_recorders`` is how many devices must be recording throughout (the coverage rule)."""

    __tablename__ = "enforcement_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    place: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    required_recorders: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EnforcementActionDevice(Base):
    """A device assigned to film an action."""

    __tablename__ = "enforcement_action_devices"

    action_id: Mapped[int] = mapped_column(ForeignKey("enforcement_actions.id"), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("fleet_devices.device_id"), primary_key=True)


class EnforcementActionRecording(Base):
    """A recording linked to an action (made by one of its devices during it); a link never moves.
    The parties of the action's case may apply to review a linked recording."""

    __tablename__ = "enforcement_action_recordings"

    action_id: Mapped[int] = mapped_column(ForeignKey("enforcement_actions.id"), primary_key=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), primary_key=True, index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
