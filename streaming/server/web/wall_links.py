"""Where the wall's header links go: back to the host's pages, and how to sign out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WallLinks:
    """``portal``: the host's home for operators (None standalone: no link); ``sign_out``: where the
    wall's sign-out form posts (relative to the wall page, or absolute on the host)."""

    portal: str | None = None
    sign_out: str = "wall/logout"
