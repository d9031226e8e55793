"""Enrolment-code slips: what an administrator sees once after creating a device's one-time code.

As with access passwords (``password_slips``), the POST that makes the code redirects (303) to its
slip, so a reload creates no second code; the code is never stored in clear: the slip holds it in
this process's memory only, for ``SLIP_LIFETIME``, for the session that made it.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime

from portal.web.password_slips import SLIP_LIFETIME

_MAX_SLIPS = 200


@dataclass(frozen=True, slots=True)
class EnrolmentSlip:
    """One issued enrolment code and what the slip names."""

    device_id: str
    code: str
    expires_at: datetime
    issued_at: datetime
    issued_by: str


class EnrolmentSlips:
    """Slips by an unguessable id, each readable only by the session (token hash) that made it."""

    def __init__(self) -> None:
        self._slips: dict[str, tuple[str, EnrolmentSlip]] = {}
        self._lock = threading.Lock()

    def keep(self, session: str, slip: EnrolmentSlip) -> str:
        """Hold ``slip`` for ``session``; returns its id (for the redirect)."""
        slip_id = secrets.token_urlsafe(16)
        with self._lock:
            self._forget_expired(slip.issued_at)
            if len(self._slips) >= _MAX_SLIPS:
                self._slips.pop(next(iter(self._slips)))
            self._slips[slip_id] = (session, slip)
        return slip_id

    def read(self, slip_id: str, session: str, now: datetime) -> EnrolmentSlip | None:
        """The slip if ``session`` made it and it has not expired, else None."""
        with self._lock:
            self._forget_expired(now)
            held = self._slips.get(slip_id)
        if held is None or not secrets.compare_digest(held[0], session):
            return None
        return held[1]

    def _forget_expired(self, now: datetime) -> None:
        for slip_id in [k for k, (_, s) in self._slips.items() if now - s.issued_at > SLIP_LIFETIME]:
            del self._slips[slip_id]
