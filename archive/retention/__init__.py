"""Retention and legal hold: the pure policy decision, the keeper that records and enforces it, and disposal
of what has expired.
"""

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
