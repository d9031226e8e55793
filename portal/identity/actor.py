"""Who acts: the role and identity that domain functions authorize and audit, without the session."""

from __future__ import annotations

from dataclasses import dataclass

from portal.models import Role


@dataclass(frozen=True, slots=True)
class Actor:
    """A staff member or party acting on the portal. Parties carry their ``case_id``; staff their
    ``court_id`` (None: all courts for an administrator, none for other staff).

    This is all a domain function learns of its caller: the signed-in session's token hash and CSRF
    token stay in the web layer (see ``portal.identity.principal``).
    """

    role: Role
    display_name: str
    user_id: int | None = None
    party_id: int | None = None
    case_id: int | None = None
    court_id: int | None = None

    @property
    def is_party(self) -> bool:
        return self.party_id is not None

    @property
    def audit_name(self) -> str:
        """How the audit log names this actor."""
        if self.party_id is not None:
            return f"party:{self.party_id}:{self.display_name}"
        return f"user:{self.user_id}:{self.display_name}"
