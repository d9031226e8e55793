"""Enrolment-code slips: what an administrator sees once after creating a device's one-time code.

As with access passwords (``password_slips``), the POST that makes the code redirects (303) to its
slip, so a reload creates no second code; the code is never stored in clear: the slip is shown once,
to the session that made it, within ``SLIP_LIFETIME`` (see ``session_slips``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.web.forms.session_slips import SessionSlips


@dataclass(frozen=True, slots=True)
class EnrolmentSlip:
    """One issued enrolment code and what the slip names."""

    device_id: str
    code: str
    expires_at: datetime
    issued_at: datetime
    issued_by: str


class EnrolmentSlips(SessionSlips[EnrolmentSlip]):
    """The enrolment-code slips (see :class:`~portal.web.forms.session_slips.SessionSlips`)."""

    def __init__(self) -> None:
        super().__init__("enrolment", EnrolmentSlip)
