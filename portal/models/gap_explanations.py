"""Explanations of gaps in recordings (2017 hearing-recording rules art. 4): the presiding judge says
why a part of a hearing was not recorded. An explanation is never edited: a new one supersedes it,
and both are kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime


class GapExplanation(Base):
    """The explanation of one gap of a recording, signed by the judge's account.

    ``gap_key`` names the gap within the recording (the seq of its first journal line) and
    ``gap_sha256`` is the hash of the journal lines that record it, so an explanation stays bound to
    the gap it was written for. ``supersedes_id`` is the explanation this one replaces (None: the first).
    """

    __tablename__ = "gap_explanations"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    gap_key: Mapped[int] = mapped_column()
    gap_sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text())
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    explained_at: Mapped[datetime] = mapped_column(UTCDateTime())
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("gap_explanations.id"), default=None)
