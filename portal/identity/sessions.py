"""Server-side sign-in sessions: random reference tokens, rotated at sign-in, idle and absolute expiry.

The browser holds a 256-bit token from a CSPRNG in an HttpOnly cookie; the database holds only its
SHA-256, so a leaked database does not yield usable cookies. A session ends after ``idle`` without a
request or ``absolute`` after sign-in, whichever comes first, at sign-out, and when its user is
disabled.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from portal.models import WebSession

_TOUCH_INTERVAL = timedelta(seconds=60)  # last_seen is written at most once a minute per session


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long a session lives: ``idle`` without requests, ``absolute`` after sign-in."""

    idle: timedelta
    absolute: timedelta

    def __post_init__(self) -> None:
        if not timedelta(0) < self.idle <= self.absolute:
            raise ValueError(f"need 0 < idle <= absolute (got idle={self.idle}, absolute={self.absolute})")


def token_hash(token: str) -> str:
    """The stored form of a session token: its hex SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(
    db: Session,
    *,
    now: datetime,
    ip: str,
    user_id: int | None = None,
    party_id: int | None = None,
    previous_token: str | None = None,
) -> str:
    """Create a session for a user or a party and return its new token (the cookie value).

    Any session the browser presented (``previous_token``) is ended first: the token always changes
    at sign-in, so a token planted before sign-in is worthless after it. ValueError unless exactly
    one of ``user_id`` and ``party_id`` is given.
    """
    if (user_id is None) == (party_id is None):
        raise ValueError("a session belongs to exactly one user or one party")
    if previous_token:
        end_session(db, previous_token)
    token = secrets.token_urlsafe(32)
    db.add(
        WebSession(
            token_hash=token_hash(token),
            user_id=user_id,
            party_id=party_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            ip=ip[:64],
        )
    )
    db.flush()
    return token


def load_session(db: Session, token: str, *, now: datetime, policy: SessionPolicy) -> WebSession | None:
    """The live session for ``token``, or None (unknown, or expired: an expired one is deleted)."""
    stored = db.get(WebSession, token_hash(token))
    if stored is None:
        return None
    if now - stored.last_seen_at >= policy.idle or now - stored.created_at >= policy.absolute:
        db.delete(stored)
        db.flush()
        return None
    if now - stored.last_seen_at >= _TOUCH_INTERVAL:
        stored.last_seen_at = now
        db.flush()
    return stored


def needs_write(stored: WebSession, *, now: datetime, policy: SessionPolicy) -> bool:
    """True when loading ``stored`` would change it (expired: delete; last_seen due: touch)."""
    return session_needs_write(stored.created_at, stored.last_seen_at, now=now, policy=policy)


def session_needs_write(
    created_at: datetime, last_seen_at: datetime, *, now: datetime, policy: SessionPolicy
) -> bool:
    """:func:`needs_write` for a session known by its creation and last-seen times."""
    return now - last_seen_at >= min(policy.idle, _TOUCH_INTERVAL) or now - created_at >= policy.absolute


def end_session(db: Session, token: str) -> None:
    """Delete the session of ``token`` if it exists."""
    db.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def end_sessions_of_user(db: Session, user_id: int) -> None:
    """Delete every session of a user (account disabled, password changed)."""
    db.execute(delete(WebSession).where(WebSession.user_id == user_id))


def end_sessions_of_party(db: Session, party_id: int) -> None:
    """Delete every session of a party (its access password was rotated)."""
    db.execute(delete(WebSession).where(WebSession.party_id == party_id))
