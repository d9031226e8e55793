"""Who is making a request: a signed-in staff member or party, resolved from the session cookie.

A :class:`Principal` is the web layer's view of the caller (its session's token hash and CSRF token);
domain functions take only its :class:`~portal.identity.actor.Actor`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from portal.identity.actor import Actor
from portal.identity.sessions import (
    SessionPolicy,
    load_session,
    needs_write,
    session_needs_write,
    token_hash,
)
from portal.models import Party, Role, User, WebSession


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in caller: the session (its token hash and CSRF token) and the :class:`Actor` it
    signed in as. Only the web layer sees this; it passes ``actor`` to domain functions."""

    token_hash: str
    csrf_token: str
    actor: Actor


@dataclass(frozen=True, slots=True)
class SignedInSession:
    """A principal with its session's times: enough to tell, later, whether it is still usable as
    read (see :meth:`needs_write`) without reading the session again."""

    principal: Principal
    created_at: datetime
    last_seen_at: datetime

    def needs_write(self, *, now: datetime, policy: SessionPolicy) -> bool:
        """True when the session has expired or is due for a touch at ``now``."""
        return session_needs_write(self.created_at, self.last_seen_at, now=now, policy=policy)


def peek_principal(
    db: Session, token: str, *, now: datetime, policy: SessionPolicy
) -> tuple[SignedInSession | None, bool]:
    """Resolve ``token`` read-only: ``(session, decided)``.

    ``decided`` is False when the answer needs a write (the session expired, is due for a touch, or
    its user was disabled): then call :func:`resolve_principal` in a write transaction.
    """
    stored = db.get(WebSession, token_hash(token))
    if stored is None:
        return None, True
    if needs_write(stored, now=now, policy=policy):
        return None, False
    if stored.user_id is not None:
        user = db.get(User, stored.user_id)
        if user is None or user.disabled:
            return None, False
        return _signed_in(stored, _staff_principal(stored, user)), True
    party = db.get(Party, stored.party_id) if stored.party_id is not None else None
    if party is None:
        return None, False
    return _signed_in(stored, _party_principal(stored, party)), True


def _signed_in(stored: WebSession, principal: Principal) -> SignedInSession:
    return SignedInSession(principal, stored.created_at, stored.last_seen_at)


def resolve_principal(db: Session, token: str, *, now: datetime, policy: SessionPolicy) -> Principal | None:
    """The principal of session ``token``, or None when there is no live session.

    A session whose user has been disabled (or whose party no longer exists) is ended.
    """
    stored = load_session(db, token, now=now, policy=policy)
    if stored is None:
        return None
    if stored.user_id is not None:
        user = db.get(User, stored.user_id)
        if user is None or user.disabled:
            db.delete(stored)
            return None
        return _staff_principal(stored, user)
    party = db.get(Party, stored.party_id) if stored.party_id is not None else None
    if party is None:
        db.delete(stored)
        return None
    return _party_principal(stored, party)


def _party_principal(stored: WebSession, party: Party) -> Principal:
    return Principal(
        token_hash=stored.token_hash,
        csrf_token=stored.csrf_token,
        actor=Actor(role=Role.PARTY, display_name=party.name, party_id=party.id, case_id=party.case_id),
    )


def _staff_principal(stored: WebSession, user: User) -> Principal:
    return Principal(
        token_hash=stored.token_hash,
        csrf_token=stored.csrf_token,
        actor=Actor(role=user.role, display_name=user.display_name, user_id=user.id, court_id=user.court_id),
    )
