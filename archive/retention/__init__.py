"""Retention and legal hold: the pure policy decision, the keeper that records and enforces it, and disposal
of what has expired.

The names below are re-exported lazily (PEP 562): the settings need only ``policy``, and loading the
keeper and disposal eagerly would pull the compliance log and manifests into every agent start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

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

__getattr__, __dir__, _ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "disposal": ["DisposalReport", "dispose_expired"],
        "keeper": ["RetentionKeeper"],
        "policy": [
            "DisposalDecision",
            "RetentionBook",
            "RetentionPolicy",
            "RetentionState",
            "decide_disposal",
            "parse_policies",
        ],
    },
)


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
