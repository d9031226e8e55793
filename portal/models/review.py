"""Review of recordings (2013 opinion art. 9; 2017 rules art. 10, 11): applications and grants."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime
from portal.models._types import str_enum


class ReviewStatus(StrEnum):
    """An application is pending until a clerk or judge approves or rejects it."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ReviewRequest(Base):
    """A party's application to review one recording of its case."""

    __tablename__ = "review_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(500))
    status: Mapped[ReviewStatus] = mapped_column(str_enum(ReviewStatus), default=ReviewStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    decision_reason: Mapped[str | None] = mapped_column(String(500), default=None)


class Grant(Base):
    """Permission for one party to play one recording between ``not_before`` and ``not_after``.

    Revocation (``revoked_at``) takes effect on the next playlist or segment request. Sealed spans of
    the recording are withheld unless ``include_sealed`` (set by a judge only).
    """

    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("review_requests.id"), unique=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[datetime] = mapped_column(UTCDateTime())
    granted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    revoke_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    # sealed spans (evidence not to be made public) are played only when a judge granted them
    include_sealed: Mapped[bool] = mapped_column(default=False, server_default=false())

    def active_at(self, moment: datetime) -> bool:
        """True when not revoked and ``moment`` lies in [not_before, not_after)."""
        return self.revoked_at is None and self.not_before <= moment < self.not_after
