"""Login throttling: 5 failures lock an account for 10 minutes; an address is limited too.

Keys are ``account:…`` (a username or a case number, whether or not it exists, so that locking
reveals nothing) and ``ip:…``. Failures count within a 10-minute window from the first one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from portal.models import LoginThrottle

ACCOUNT_MAX_FAILURES = 5
IP_MAX_FAILURES = 20
LOCK_DURATION = timedelta(minutes=10)
WINDOW = timedelta(minutes=10)


def account_key(identifier: str) -> str:
    """The throttle key of an account name (case-folded, surrounding space removed)."""
    return f"account:{identifier.strip().casefold()}"[:200]


def ip_key(ip: str) -> str:
    """The throttle key of a client address."""
    return f"ip:{ip}"[:200]


def is_locked(db: Session, key: str, *, now: datetime) -> bool:
    """True while ``key`` is locked."""
    state = db.get(LoginThrottle, key)
    return state is not None and state.locked_until is not None and now < state.locked_until


def record_failure(db: Session, key: str, *, now: datetime, limit: int) -> bool:
    """Count one failure for ``key``; lock it for 10 minutes when it reaches ``limit``.

    Returns True when the key is locked after this failure.
    """
    state = db.get(LoginThrottle, key)
    if state is not None and state.locked_until is not None and now < state.locked_until:
        state.failures += 1  # a lock runs its 10 minutes; attempts during it do not extend it
        db.flush()
        return True
    if state is None:
        state = LoginThrottle(key=key, failures=0, window_started_at=now)
        db.add(state)
    elif now - state.window_started_at >= WINDOW or (state.locked_until and now >= state.locked_until):
        state.failures, state.window_started_at, state.locked_until = 0, now, None
    state.failures += 1
    if state.failures >= limit:
        state.locked_until = now + LOCK_DURATION
    db.flush()
    return state.locked_until is not None and now < state.locked_until


def clear(db: Session, key: str) -> None:
    """Forget the failures of ``key`` (after a successful sign-in, or an administrator's unlock)."""
    db.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
