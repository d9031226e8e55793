"""Typed compliance-log records: one frozen dataclass per record type, and one parser.

Field names and values are those on disk (see :mod:`archive.preservation.compliance_log`); the envelope
(``v``, ``seq``, ``prev``, ``type``, ``at``, ``actor``) stays on the record's line. :func:`parse_record`
raises JournalError naming the record's ``seq`` and what was wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Self, TypeAlias

from archive.journal.fields import FieldReader, JsonObject, JsonValue, parse_typed
from archive.journal.format import JournalLine


class ComplianceEvent(StrEnum):
    """What a compliance record records."""

    RETENTION_ASSIGNED = "retention_assigned"
    LEGAL_HOLD_SET = "legal_hold_set"
    LEGAL_HOLD_CLEARED = "legal_hold_cleared"
    DISPOSED = "disposed"
    DISPOSAL_FAILED = "disposal_failed"
    FIXITY_AUDIT = "fixity_audit"
    REPAIRED = "repaired"
    ALARM = "alarm"


@dataclass(frozen=True, slots=True)
class RetentionAssigned:
    """Recording ``recording_id`` is kept until ``retain_until`` (ISO 8601; None: permanently)."""

    TYPE: ClassVar[ComplianceEvent] = ComplianceEvent.RETENTION_ASSIGNED
    recording_id: str
    prefix: str
    case: str | None
    case_type: str
    policy_years: int | None
    start: str
    retain_until: str | None
    locked_sites: tuple[str, ...]

    @classmethod
    def from_fields(cls, f: FieldReader) -> Self:
        return cls(
            recording_id=f.string("recording_id"),
            prefix=f.string("prefix"),
            case=f.opt_string("case"),
            case_type=f.string("case_type"),
            policy_years=f.opt_integer("policy_years"),
            start=f.string("start"),
            retain_until=f.opt_string("retain_until"),
            locked_sites=f.strings("locked_sites"),
        )

    def to_fields(self) -> JsonObject:
        return {
            "recording_id": self.recording_id,
            "prefix": self.prefix,
            "case": self.case,
            "case_type": self.case_type,
            "policy_years": self.policy_years,
            "start": self.start,
            "retain_until": self.retain_until,
            "locked_sites": list(self.locked_sites),
        }


@dataclass(frozen=True, slots=True)
class LegalHoldSet:
    """``case`` (and its ``recordings``) is put under legal hold for ``reason``."""

    TYPE: ClassVar[ComplianceEvent] = ComplianceEvent.LEGAL_HOLD_SET
    case: str
    reason: str
    recordings: tuple[str, ...]
    locked_sites: tuple[str, ...]

    @classmethod
    def from_fields(cls, f: FieldReader) -> Self:
        return cls(
            case=f.string("case"),
            reason=f.string("reason"),
            recordings=f.strings("recordings"),
            locked_sites=f.strings("locked_sites"),
        )

    def to_fields(self) -> JsonObject:
        return {
            "case": self.case,
            "reason": self.reason,
            "recordings": list(self.recordings),
            "locked_sites": list(self.locked_sites),
        }


@dataclass(frozen=True, slots=True)
class LegalHoldCleared:
    """The legal hold on ``case`` is released for ``reason``."""

    TYPE: ClassVar[ComplianceEvent] = ComplianceEvent.LEGAL_HOLD_CLEARED
    case: str
    reason: str
    recordings: tuple[str, ...]

    @classmethod
    def from_fields(cls, f: FieldReader) -> Self:
        return cls(case=f.string("case"), reason=f.string("reason"), recordings=f.strings("recordings"))

    def to_fields(self) -> JsonObject:
        return {"case": self.case, "reason": self.reason, "recordings": list(self.recordings)}


@dataclass(frozen=True, slots=True)
class Disposed:
    """Recording ``recording_id`` was deleted at the end of its retention, from ``sites``."""

    TYPE: ClassVar[ComplianceEvent] = ComplianceEvent.DISPOSED
    recording_id: str
    case: str | None
    case_type: str
    retain_until: str | None
    objects: int
    versions_deleted: int
    merkle_root: str | None
    journal_head: str | None
    sites: tuple[str, ...]
    derived_objects: int = 0  # keys of copies that are not evidence (the masked replay) deleted too

    @classmethod
    def from_fields(cls, f: FieldReader) -> Self:
        return cls(
            recording_id=f.string("recording_id"),
            case=f.opt_string("case"),
            case_type=f.string("case_type"),
            retain_until=f.opt_string("retain_until"),
            objects=f.integer("objects"),
            versions_deleted=f.integer("versions_deleted"),
            merkle_root=f.opt_string("merkle_root"),
            journal_head=f.opt_string("journal_head"),
            sites=f.strings("sites"),
            derived_objects=f.opt_integer("derived_objects") or 0,  # absent in records before it
        )

    def to_fields(self) -> JsonObject:
        return {
            "recording_id": self.recording_id,
            "case": self.case,
            "case_type": self.case_type,
            "retain_until": self.retain_until,
            "objects": self.objects,
            "versions_deleted": self.versions_deleted,
            "merkle_root": self.merkle_root,
            "journal_head": self.journal_head,
            "sites": list(self.sites),
            "derived_objects": self.derived_objects,
        }


@dataclass(frozen=True, slots=True)
class DisposalFailed:
    """Deleting recording ``recording_id`` was refused or failed (``detail``)."""

    TYPE: ClassVar[ComplianceEvent] = ComplianceEvent.DISPOSAL_FAILED
    recording_id: str
    case: str | None
    detail: str

    @classmethod
    def from_fields(cls, f: FieldReader) -> Self:
        return cls(
            recording_id=f.string("recording_id"), case=f.opt_string("case"), detail=f.string("detail")
        )

    def to_fields(self) -> JsonObject:
        return {"recording_id": self.recording_id, "case": self.case, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class FixityAudited:
    """A fixity audit ran; its report is stored at ``report_key``. ``counts`` and ``window`` are the
    report's finding counts and sampling window, as JSON."""

    TYPE: ClassVar[ComplianceEvent] = ComplianceEvent.FIXITY_AUDIT
    report_key: str
    report_sha256: str
    counts: JsonValue
    clean: bool
    window: JsonValue

    @classmethod
    def from_fields(cls, f: FieldReader) -> Self:
        return cls(
            report_key=f.string("report_key"),
            report_sha256=f.string("report_sha256"),
            counts=f.json("counts"),
            clean=f.boolean("clean"),
            window=f.json("window"),
        )

    def to_fields(self) -> JsonObject:
        return {
            "report_key": self.report_key,
            "report_sha256": self.report_sha256,
            "counts": self.counts,
            "clean": self.clean,
            "window": self.window,
        }


@dataclass(frozen=True, slots=True)
class Repaired:
    """A bad copy of ``key`` on ``site`` (``finding``) was rewritten from ``source_site``."""

    TYPE: ClassVar[ComplianceEvent] = ComplianceEvent.REPAIRED
    site: str
    key: str
    recording_id: str
    source_site: str
    sha256: str
    finding: str

    @classmethod
    def from_fields(cls, f: FieldReader) -> Self:
        return cls(
            site=f.string("site"),
            key=f.string("key"),
            recording_id=f.string("recording_id"),
            source_site=f.string("source_site"),
            sha256=f.string("sha256"),
            finding=f.string("finding"),
        )

    def to_fields(self) -> JsonObject:
        return {
            "site": self.site,
            "key": self.key,
            "recording_id": self.recording_id,
            "source_site": self.source_site,
            "sha256": self.sha256,
            "finding": self.finding,
        }


@dataclass(frozen=True, slots=True)
class ComplianceAlarm:
    """An operational alarm (``severity``, ``condition``) about ``subject``."""

    TYPE: ClassVar[ComplianceEvent] = ComplianceEvent.ALARM
    severity: str
    condition: str
    subject: str
    detail: str

    @classmethod
    def from_fields(cls, f: FieldReader) -> Self:
        return cls(
            severity=f.string("severity"),
            condition=f.string("condition"),
            subject=f.string("subject"),
            detail=f.string("detail"),
        )

    def to_fields(self) -> JsonObject:
        return {
            "severity": self.severity,
            "condition": self.condition,
            "subject": self.subject,
            "detail": self.detail,
        }


ComplianceRecordEvent: TypeAlias = (
    RetentionAssigned
    | LegalHoldSet
    | LegalHoldCleared
    | Disposed
    | DisposalFailed
    | FixityAudited
    | Repaired
    | ComplianceAlarm
)

_PARSERS: dict[str, Callable[[FieldReader], ComplianceRecordEvent]] = {
    cls.TYPE: cls.from_fields
    for cls in (
        RetentionAssigned,
        LegalHoldSet,
        LegalHoldCleared,
        Disposed,
        DisposalFailed,
        FixityAudited,
        Repaired,
        ComplianceAlarm,
    )
}


def parse_record(line: JournalLine) -> ComplianceRecordEvent:
    """What the compliance-log ``line`` records. Raises JournalError naming the record's ``seq`` for an
    unknown type, a missing field or a field of the wrong JSON type."""
    return parse_typed(line, _PARSERS, log="compliance record", kind="record")


def concerns(event: ComplianceRecordEvent, recording_id: str, case: str | None) -> bool:
    """True when the record is about recording ``recording_id`` or about ``case`` (when given)."""
    if getattr(event, "recording_id", None) == recording_id:
        return True
    return case is not None and getattr(event, "case", None) == case
