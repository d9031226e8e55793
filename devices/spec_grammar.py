"""The grammar source specs (:mod:`devices.spec`) and position specs (:mod:`devices.position.spec`)
share: ``KIND[:LOCATION][#key=value&key=value...]``.

Both split the options after ``#`` the same way, check them against what their kind accepts the same
way, and accept the same device paths. Each function raises ``ValueError`` saying what was wrong; the
spec modules turn it into their own error, with the spec and its accepted forms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TypeAlias

__all__ = ["Options", "Validator", "check_options", "is_device_path", "split_options"]

Options: TypeAlias = tuple[tuple[str, str], ...]
"""Validated ``(key, value)`` pairs sorted by key, each key once, values as written."""
Validator: TypeAlias = Callable[[str], object]
"""Parses an option's raw value; raises ValueError saying what is accepted."""

_OPTION_KEY = re.compile(r"[a-z_]{1,32}", re.ASCII)
_DEVICE_PATH = re.compile(r"/dev/[A-Za-z0-9._:+/-]+", re.ASCII)


def split_options(tail: str) -> Options:
    """The options after ``#`` (``key=value`` joined by ``&``), sorted by key.

    ValueError when there are none, an item is not ``key=value`` or a key is given twice.
    """
    if not tail:
        raise ValueError("'#' is followed by no options")
    seen: dict[str, str] = {}
    for item in tail.split("&"):
        key, equals, value = item.partition("=")
        if not equals or _OPTION_KEY.fullmatch(key) is None:
            raise ValueError(f"option {item!r} is not key=value")
        if key in seen:
            raise ValueError(f"option {key!r} is given twice")
        seen[key] = value
    return tuple(sorted(seen.items()))


def check_options(kind: str, options: Options, accepted: Mapping[str, Validator]) -> None:
    """Check that ``options`` are sorted, each key once, each accepted for ``kind`` and valid.

    ValueError naming the option that is unknown or whose value its validator refuses.
    """
    keys = [key for key, _ in options]
    if keys != sorted(set(keys)):
        raise ValueError("options must be sorted by key, each key once")
    for key, value in options:
        if key not in accepted:
            known = ", ".join(sorted(accepted)) or "none"
            raise ValueError(f"unknown option {key!r} for {kind} (accepted: {known})")
        try:
            accepted[key](value)
        except ValueError as exc:
            raise ValueError(f"option {key!r} {exc}") from None


def is_device_path(location: str) -> bool:
    """True for a device path such as ``/dev/video0`` or ``/dev/ttyUSB0`` that never climbs out of
    ``/dev`` (no ``..`` segment)."""
    return (
        _DEVICE_PATH.fullmatch(location) is not None
        and "/../" not in location
        and not location.endswith("/..")
    )
