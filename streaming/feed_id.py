"""Feed ids: ``room/stream``, each name ASCII letters, digits, ``.``, ``_`` or ``-`` (1-64 characters)."""

from __future__ import annotations

import re

from archive.formats.identifiers import CODE_PATTERN
from streaming.errors import InvalidNameError

_NAME = re.compile(CODE_PATTERN, re.ASCII)  # the archive's grammar for codes


def feed_id_of(room: str, stream: str) -> str:
    """``room/stream`` after checking both names; raises InvalidNameError naming the grammar."""
    if not (_NAME.fullmatch(room) and _NAME.fullmatch(stream)):
        raise InvalidNameError(
            f"room and stream names are [A-Za-z0-9][A-Za-z0-9._-]{{0,63}} (got {room!r}/{stream!r})"
        )
    return f"{room}/{stream}"
