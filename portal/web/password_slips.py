"""Access-password slips: what a clerk sees (and prints) after adding a party or resetting its password.

The POST that makes a password answers with a redirect (303) to its slip, so reloading the page that
shows it changes nothing (no second party, no second reset). The password is never stored: the slip
holds it in this process's memory only, for ``SLIP_LIFETIME``, for the session that made it; after
that it is gone and a new one can only be had by another reset. (Several portal processes behind one
address need sticky sessions for the slip page.)
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

SLIP_LIFETIME = timedelta(minutes=10)
_MAX_SLIPS = 1000


@dataclass(frozen=True, slots=True)
class PasswordSlip:
    """One issued access password and what the printed slip names."""

    party_id: int
    case_id: int
    case_number: str
    party_name: str
    party_role: str
    password: str
    rotated: bool
    issued_at: datetime
    issued_by: str


class PasswordSlips:
    """Slips by an unguessable id, each readable only by the session (token hash) that made it."""

    def __init__(self, lifetime: timedelta = SLIP_LIFETIME) -> None:
        self._lifetime = lifetime
        self._slips: dict[str, tuple[str, PasswordSlip]] = {}
        self._lock = threading.Lock()

    def keep(self, session: str, slip: PasswordSlip) -> str:
        """Hold ``slip`` for ``session``; returns its id (for the redirect)."""
        slip_id = secrets.token_urlsafe(16)
        with self._lock:
            self._forget_expired(slip.issued_at)
            if len(self._slips) >= _MAX_SLIPS:
                self._slips.pop(next(iter(self._slips)))
            self._slips[slip_id] = (session, slip)
        return slip_id

    def read(self, slip_id: str, session: str, now: datetime) -> PasswordSlip | None:
        """The slip ``slip_id`` if ``session`` made it and it has not expired, else None."""
        with self._lock:
            self._forget_expired(now)
            held = self._slips.get(slip_id)
        if held is None or not secrets.compare_digest(held[0], session):
            return None
        return held[1]

    def _forget_expired(self, now: datetime) -> None:
        for slip_id in [k for k, (_, slip) in self._slips.items() if now - slip.issued_at > self._lifetime]:
            del self._slips[slip_id]
