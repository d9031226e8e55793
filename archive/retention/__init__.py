"""Retention and legal hold: the pure policy decision, the keeper that records and enforces it, and disposal
of what has expired.

The names below are re-exported lazily (PEP 562): the settings need only ``policy``, and loading the
keeper and disposal eagerly would pull the compliance log and manifests into every agent start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive.lazy_exports import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _SUBMODULE_OF, globals())


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
