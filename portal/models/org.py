"""Courts, courtrooms and the people who sign in to the portal (court staff and parties' accounts)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime
from portal.models._types import str_enum


class Role(StrEnum):
    """What a user may do; a party reaches only its own case (see ``authz``)."""

    ADMIN = "admin"
    CLERK = "clerk"
    JUDGE = "judge"
    OPERATOR = "operator"
    PARTY = "party"


STAFF_ROLES = frozenset({Role.ADMIN, Role.CLERK, Role.JUDGE, Role.OPERATOR})


class Court(Base):
    """A court; ``code`` is the ASCII name the capture agents journal (COURTREC_COURT)."""

    __tablename__ = "courts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Courtroom(Base):
    """A courtroom of a court; ``code`` is the room the capture agent journals (``--room``)."""

    __tablename__ = "courtrooms"
    __table_args__ = (UniqueConstraint("court_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("courts.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))


class User(Base):
    """A signed-in person: court staff, or a party's own account. Passwords are Argon2id hashes."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    password_hash: Mapped[str] = mapped_column(String(255))
    court_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id"), default=None)
    office_phone: Mapped[str | None] = mapped_column(String(64), default=None)
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OperatorCourt(Base):
    """A court an operator may watch besides its own (a provincial command centre is granted several)."""

    __tablename__ = "operator_courts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("courts.id"), primary_key=True, index=True)
