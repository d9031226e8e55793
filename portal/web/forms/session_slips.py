"""Slips: a secret shown once after the POST that made it (an access password, a device's enrolment
code), kept in this process's memory only, for ``SLIP_LIFETIME``, readable only by the session that
made it. The POST redirects (303) to its slip, so reloading the page that shows it changes nothing.
(Several portal processes behind one address need sticky sessions for the slip page.)
"""

from __future__ import annotations

import secrets
import threading
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

SLIP_LIFETIME = timedelta(minutes=10)


class Slip(Protocol):
    """What every slip says: when it was issued."""

    @property
    def issued_at(self) -> datetime: ...


SlipT = TypeVar("SlipT", bound=Slip)


class SessionSlips(Generic[SlipT]):
    """Slips by an unguessable id, each readable only by the session (token hash) that made it; at
    most ``limit`` held (the oldest dropped first)."""

    def __init__(self, lifetime: timedelta = SLIP_LIFETIME, limit: int = 1000) -> None:
        self._lifetime = lifetime
        self._limit = limit
        self._slips: dict[str, tuple[str, SlipT]] = {}
        self._lock = threading.Lock()

    def keep(self, session: str, slip: SlipT) -> str:
        """Hold ``slip`` for ``session``; returns its id (for the redirect)."""
        slip_id = secrets.token_urlsafe(16)
        with self._lock:
            self._forget_expired(slip.issued_at)
            if len(self._slips) >= self._limit:
                self._slips.pop(next(iter(self._slips)))
            self._slips[slip_id] = (session, slip)
        return slip_id

    def read(self, slip_id: str, session: str, now: datetime) -> SlipT | None:
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
