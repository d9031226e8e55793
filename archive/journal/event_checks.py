"""Value checks shared by the journal's event dataclasses (raise ValueError, as ``__post_init__`` does)."""

from __future__ import annotations

import re

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def check_sha256(value: str, name: str = "sha256") -> None:
    """Raise ValueError unless ``value`` is a hex SHA-256 (64 lowercase hex digits)."""
    if not _SHA256_HEX.fullmatch(value):
        raise ValueError(f"'{name}' must be 64 lowercase hex digits (got {value!r})")


def check_not_negative(value: int | float | None, name: str) -> None:
    """Raise ValueError when ``value`` is a negative number (None passes)."""
    if value is not None and value < 0:
        raise ValueError(f"'{name}' must be >= 0 (got {value!r})")
