"""Broadcast ids: every public broadcast publishes under a directory of its own, ``room/stream/{id}/``.

Segments are published as immutable (a CDN or browser may keep them for an hour), so no name may
ever be used twice: a feed's next broadcast (the next public hearing in that courtroom) gets a new
id, hence new URLs for everything it publishes. Ids are the UTC opening time to the second plus 48
random bits (readable in a listing of leftovers, and unique even for many openings in one second:
with 24 bits, 1000 ids drawn in one second collided about once in 30 runs).
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

BROADCAST_ID = re.compile(r"[0-9]{8}T[0-9]{6}Z-[0-9a-f]{12}", re.ASCII)


def new_broadcast_id(now: datetime | None = None) -> str:
    """A fresh id such as ``20250314T093000Z-1f2e3d4c5b6a`` (``now`` defaults to the current UTC time)."""
    opened = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{opened:%Y%m%dT%H%M%SZ}-{secrets.token_hex(6)}"


def is_broadcast_id(text: str) -> bool:
    """True when ``text`` is exactly a broadcast id (nothing else may name a broadcast directory)."""
    return BROADCAST_ID.fullmatch(text) is not None
