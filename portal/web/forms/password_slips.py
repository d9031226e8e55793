"""Access-password slips: what a clerk sees (and prints) after adding a party or resetting its password.

The POST that makes a password answers with a redirect (303) to its slip, so reloading the page that
shows it changes nothing (no second party, no second reset). The password is never stored in clear:
the slip is shown once, to the session that made it, within ``SLIP_LIFETIME`` (see ``session_slips``);
after that a new one can only be had by another reset.
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

    def __init__(self) -> None:
        super().__init__("password", PasswordSlip)
