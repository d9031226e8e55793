"""Server-side sessions and login throttling state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime


class WebSession(Base):
    """A signed-in browser. The cookie holds a 256-bit random token; only its SHA-256 is stored.

    Exactly one of ``user_id`` (staff) and ``party_id`` (a party signed in by case password) is set.
    """

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, default=None)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True, default=None)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip: Mapped[str] = mapped_column(String(64), default="")


class LoginThrottle(Base):
    """Failed sign-ins per key (``account:…`` or ``ip:…``) within the current window, and any lock."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class SecretSlip(Base):
    """A secret shown once (an access password, an enrolment code), held for the page that shows it.

    ``id`` is a hash of the slip's URL token and the content is encrypted with a key derived from
    that token (see ``portal.web.forms.session_slips``): the database alone reveals no secret, and
    any portal process can show the slip — once, to the session that made it — before it expires.
    """

    __tablename__ = "secret_slips"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    session_hash: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary(4096))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
