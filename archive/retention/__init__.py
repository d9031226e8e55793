"""Retention and legal hold: the pure policy decision, the keeper that records and enforces it, and disposal
of what has expired.

The names below are re-exported lazily (PEP 562): the settings need only ``policy``, and loading the
keeper and disposal eagerly would pull the compliance log and manifests into every agent start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive.retention.disposal import DisposalReport, dispose_expired
    from archive.retention.keeper import RetentionKeeper
    from archive.retention.policy import (
        DisposalDecision,
        RetentionBook,
        RetentionPolicy,
        RetentionState,
        decide_disposal,
        parse_policies,
    )

_SUBMODULE_OF = {
    "DisposalReport": "disposal",
    "dispose_expired": "disposal",
    "RetentionKeeper": "keeper",
    "DisposalDecision": "policy",
    "RetentionBook": "policy",
    "RetentionPolicy": "policy",
    "RetentionState": "policy",
    "decide_disposal": "policy",
    "parse_policies": "policy",
}


def __getattr__(name: str) -> object:
    """Load the submodule that defines ``name`` on first use (PEP 562)."""
    submodule = _SUBMODULE_OF.get(name)
    if submodule is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(importlib.import_module(f"{__name__}.{submodule}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_SUBMODULE_OF])


__all__ = [
    "DisposalDecision",
    "DisposalReport",
    "RetentionBook",
    "RetentionKeeper",
    "RetentionPolicy",
    "RetentionState",
    "decide_disposal",
    "dispose_expired",
    "parse_policies",
]
