"""Retention rules as values and one pure function: may this recording be disposed of now?

Policies are per case type (a court's records schedule: e.g. ``long-term`` = 30 years, ``permanent``).
The retention state of every recording and the legal holds on cases are folded from the compliance log
(:mod:`archive.preservation.compliance_log`), so they are as tamper-evident as the log itself.
:func:`decide_disposal` is the only place that says "dispose": it answers DISPOSE only for a recording
that has an assigned, finite, expired retention, is not disposed yet and whose case is not held.
Storage pressure is deliberately not an input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from archive.errors import ArchiveError
from archive.preservation.compliance_log import ComplianceRecord
from archive.preservation.compliance_records import (
    Disposed,
    LegalHoldCleared,
    LegalHoldSet,
    RetentionAssigned,
)

DEFAULT_POLICIES: Mapping[str, int | None] = {"short-term": 10, "long-term": 30, "permanent": None}
_CASE_TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_MAX_YEARS = 200


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Keep recordings of ``case_type`` for ``years`` from their start; ``years=None`` is permanent."""

    case_type: str
    years: int | None

    def __post_init__(self) -> None:
        if not _CASE_TYPE.match(self.case_type):
            raise ValueError(f"'case_type' must match [a-z0-9][a-z0-9-]{{0,63}} (got {self.case_type!r})")
        if self.years is not None and not 1 <= self.years <= _MAX_YEARS:
            raise ValueError(f"'years' must be 1..{_MAX_YEARS} or None for permanent (got {self.years})")

    def retain_until(self, start: datetime) -> datetime | None:
        """The end of retention for a recording that started at ``start``; None when permanent."""
        if self.years is None:
            return None
        return add_years(start, self.years)


def add_years(moment: datetime, years: int) -> datetime:
    """``moment`` plus calendar years (29 February becomes 28 February in a common year)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def parse_policies(raw: Mapping[str, int | None]) -> dict[str, RetentionPolicy]:
    """Policies from ``{case_type: years or None}``. Raises ArchiveError naming a bad entry."""
    policies: dict[str, RetentionPolicy] = {}
    for case_type, years in raw.items():
        try:
            policies[case_type] = RetentionPolicy(case_type, years)
        except ValueError as exc:
            raise ArchiveError(f"retention policy {case_type!r}: {exc}") from exc
    if not policies:
        raise ArchiveError("no retention policies configured (COURTREC_RETENTION_POLICIES)")
    return policies


@dataclass(frozen=True, slots=True)
class RetentionState:
    """The retention assigned to one recording (the latest assignment in the compliance log)."""

    recording_id: str
    prefix: str
    case: str | None
    case_type: str
    retain_until: datetime | None  # None: permanent

    def is_longer_than(self, other_until: datetime | None) -> bool:
        """True when this retention ends later than ``other_until`` (permanent is longest)."""
        if self.retain_until is None:
            return other_until is not None
        return other_until is not None and self.retain_until > other_until


@dataclass(slots=True)
class RetentionBook:
    """Retention, holds and disposals as recorded in the compliance log."""

    retention: dict[str, RetentionState] = field(default_factory=dict)
    holds: dict[str, str] = field(default_factory=dict)  # case -> reason of its active hold
    disposed: set[str] = field(default_factory=set)

    @classmethod
    def from_records(cls, records: Iterable[ComplianceRecord]) -> RetentionBook:
        """Fold the log's records, in order, into the current state."""
        book = cls()
        for record in records:
            event = record.event
            if isinstance(event, RetentionAssigned):
                until = event.retain_until
                book.retention[event.recording_id] = RetentionState(
                    recording_id=event.recording_id,
                    prefix=event.prefix,
                    case=event.case,
                    case_type=event.case_type,
                    retain_until=None if until is None else datetime.fromisoformat(until),
                )
            elif isinstance(event, LegalHoldSet):
                book.holds[event.case] = event.reason
            elif isinstance(event, LegalHoldCleared):
                book.holds.pop(event.case, None)
            elif isinstance(event, Disposed):
                book.disposed.add(event.recording_id)
        return book

    def is_held(self, *cases: str | None) -> bool:
        """True when any of ``cases`` is under legal hold."""
        return any(case is not None and case in self.holds for case in cases)


class DisposalDecision(StrEnum):
    """What :func:`decide_disposal` says about one recording."""

    DISPOSE = "dispose"
    KEEP_LEGAL_HOLD = "keep: its case is under legal hold"
    KEEP_NO_RETENTION = "keep: no retention assigned"
    KEEP_PERMANENT = "keep: permanent retention"
    KEEP_UNEXPIRED = "keep: retention not expired"
    ALREADY_DISPOSED = "already disposed"


def decide_disposal(
    state: RetentionState | None, *, held: bool, disposed: bool, now: datetime
) -> DisposalDecision:
    """The one place that decides disposal. A hold wins over everything; unknown retention keeps."""
    if disposed:
        return DisposalDecision.ALREADY_DISPOSED
    if held:
        return DisposalDecision.KEEP_LEGAL_HOLD
    if state is None:
        return DisposalDecision.KEEP_NO_RETENTION
    if state.retain_until is None:
        return DisposalDecision.KEEP_PERMANENT
    if now < state.retain_until:
        return DisposalDecision.KEEP_UNEXPIRED
    return DisposalDecision.DISPOSE
