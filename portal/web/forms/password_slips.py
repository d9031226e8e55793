"""Access-password slips: what a clerk sees (and prints) after adding a party or resetting its password.

The POST that makes a password answers with a redirect (303) to its slip, so reloading the page that
shows it changes nothing (no second party, no second reset). The password is never stored: the slip
holds it in this process's memory only, for ``SLIP_LIFETIME``, for the session that made it; after
that it is gone and a new one can only be had by another reset. (Several portal processes behind one
address need sticky sessions for the slip page.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.web.forms.session_slips import SLIP_LIFETIME, SessionSlips

__all__ = ["SLIP_LIFETIME", "PasswordSlip", "PasswordSlips"]


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


class PasswordSlips(SessionSlips[PasswordSlip]):
    """The access-password slips (see :class:`~portal.web.forms.session_slips.SessionSlips`)."""
