"""The identifier grammar: which recording ids, room codes and stream names are safe in a path, an
object key and a URL. One place for archive and streaming alike (streaming may import archive.formats).

An identifier is 1-128 ASCII letters, digits, ``.``, ``_`` or ``-``, starting with a letter or digit and
never containing ``..``; a code (court, device, room, feed) is the same up to 64 characters; a stream
name is 1-32 lower-case letters, digits or ``-``, starting with a letter or digit. Both are matched whole
(a trailing newline is not accepted).
"""

from __future__ import annotations

import re

from archive.errors import ArchiveError

# As anchored patterns for pydantic fields and FastAPI parameters, and compiled for matching whole.
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"  # the shorter codes: court, device, room, feed
STREAM_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,31}$"
IDENTIFIER = re.compile(IDENTIFIER_PATTERN, re.ASCII)
STREAM_NAME = re.compile(STREAM_NAME_PATTERN, re.ASCII)


def is_identifier(value: str) -> bool:
    """True when ``value`` is an identifier (see the module's grammar)."""
    return IDENTIFIER.fullmatch(value) is not None and ".." not in value


def check_identifier(value: str, *, what: str) -> str:
    """Return ``value`` if it is safe in a path and an object key; raise ArchiveError naming ``what``."""
    if not is_identifier(value):
        raise ArchiveError(
            f"{what} {value!r} is not accepted: use 1-128 letters, digits, '.', '_' or '-' (no '..')"
        )
    return value


def check_stream_name(value: str) -> str:
    """Return ``value`` if it is a valid stream name ([a-z0-9][a-z0-9-]{0,31}); else raise ArchiveError."""
    if STREAM_NAME.fullmatch(value) is None:
        raise ArchiveError(f"stream name {value!r} is not accepted: use [a-z0-9][a-z0-9-]{{0,31}}")
    return value
