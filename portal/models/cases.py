"""Cases and what the public and the parties learn about them: parties, procedure events, hearings,
and hearing notices (SPC 2013 opinion art. 5, 6, 8)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime
from portal.models._types import str_enum


class ProcedureKind(StrEnum):
    """Kinds of procedure facts a party sees (art. 6): service, jurisdiction, preservation, …"""

    SERVICE = "service"
    JURISDICTION = "jurisdiction"
    PRESERVATION = "preservation"
    TIME_LIMIT = "time_limit"
    PROCEDURE_CHANGE = "procedure_change"
    ENFORCEMENT_MEASURE = "enforcement_measure"
    CLOSURE = "closure"
    OTHER = "other"


class HearingStatus(StrEnum):
    """A hearing is scheduled until held or cancelled."""

    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class Case(Base):
    """A case, e.g. number （2026）京0105民初1234号; ``agent_code`` is the ASCII id agents may journal.

    The number is unique across courts (it is the party's sign-in name and names its court); the
    agent code only within the case's court: two courts may code their cases alike, and a recording
    links only to a case of its own court.
    """

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("court_id", "agent_code", name="uq_cases_court_id_agent_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    agent_code: Mapped[str | None] = mapped_column(String(64), default=None)
    court_id: Mapped[int] = mapped_column(ForeignKey("courts.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    cause: Mapped[str] = mapped_column(String(200))
    filing_date: Mapped[date] = mapped_column(Date())
    panel: Mapped[str] = mapped_column(String(300), default="")
    judge_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseEvent(Base):
    """One procedure fact of a case (service, jurisdiction, preservation, time limit, change …)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[ProcedureKind] = mapped_column(str_enum(ProcedureKind))
    occurred_on: Mapped[date] = mapped_column(Date())
    description: Mapped[str] = mapped_column(Text())


class Party(Base):
    """A party of a case; it signs in with the case number and its own access password (Argon2id)."""

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(64))
    access_password_hash: Mapped[str] = mapped_column(String(255))
    password_set_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Hearing(Base):
    """A scheduled hearing in a courtroom; a non-public hearing names its legal reason.

    ``mask_faces`` asks for the faces of protected participants (minors, victims, witnesses) to be
    masked on the public broadcast (art. 12). A cancelled hearing keeps its cancellation time and
    reason. ``revision`` counts the changes made after scheduling (the notice feed's SEQUENCE).
    """

    __tablename__ = "hearings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    courtroom_id: Mapped[int] = mapped_column(ForeignKey("courtrooms.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    expected_end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    is_public: Mapped[bool] = mapped_column(default=True)
    non_public_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    status: Mapped[HearingStatus] = mapped_column(str_enum(HearingStatus), default=HearingStatus.SCHEDULED)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    mask_faces: Mapped[bool] = mapped_column(default=False, server_default=false())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancel_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    revision: Mapped[int] = mapped_column(default=0, server_default="0")


class Notice(Base):
    """The published notice of a hearing. ``late_exception_basis`` is set only when it was published
    less than three days ahead under a recorded legal exception (art. 8); such notices are flagged."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id"), unique=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    published_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    late_exception_basis: Mapped[str | None] = mapped_column(String(500), default=None)
