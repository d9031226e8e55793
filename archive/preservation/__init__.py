"""Keeping recordings provable: the manifest of every object, replication between sites, backup, restore,
verification, fixity audits with their sampling and reports, and the compliance log.

The names below are re-exported lazily (PEP 562): a capture agent and the playlist export need only
``verify.find_prefix``, and loading every capability here eagerly (audit reports, backup, replication)
costs each agent start-up a large share of its import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

if TYPE_CHECKING:
    from archive.preservation.audit_report import (
        AuditFinding,
        AuditReport,
        FindingStatus,
        RepairOutcome,
        latest_audit_report,
        render_text,
        save_report,
    )
    from archive.preservation.audit_sampling import SampleWindow, next_window, ring_position
    from archive.preservation.backup import Backup, BackupReport
    from archive.preservation.compliance_log import ComplianceLog, ComplianceRecord
    from archive.preservation.compliance_records import (
        ComplianceAlarm,
        ComplianceEvent,
        ComplianceRecordEvent,
        DisposalFailed,
        Disposed,
        FixityAudited,
        LegalHoldCleared,
        LegalHoldSet,
        Repaired,
        RetentionAssigned,
        parse_record,
    )
    from archive.preservation.fixity_audit import FixityAudit
    from archive.preservation.manifest import (
        EntryKind,
        ManifestEntry,
        RecordingManifest,
        load_manifest,
        recording_ids,
    )
    from archive.preservation.replication import CopyOutcome, CopyResult, replicate
    from archive.preservation.restore import RestoreReport, restore
    from archive.preservation.verify import VerifyReport, find_prefix, verify_recording

__getattr__, __dir__, _ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "audit_report": [
            "AuditFinding",
            "AuditReport",
            "FindingStatus",
            "RepairOutcome",
            "latest_audit_report",
            "render_text",
            "save_report",
        ],
        "audit_sampling": ["SampleWindow", "next_window", "ring_position"],
        "backup": ["Backup", "BackupReport"],
        "compliance_log": ["ComplianceLog", "ComplianceRecord"],
        "compliance_records": [
            "ComplianceAlarm",
            "ComplianceEvent",
            "ComplianceRecordEvent",
            "DisposalFailed",
            "Disposed",
            "FixityAudited",
            "LegalHoldCleared",
            "LegalHoldSet",
            "Repaired",
            "RetentionAssigned",
            "parse_record",
        ],
        "fixity_audit": ["FixityAudit"],
        "manifest": ["EntryKind", "ManifestEntry", "RecordingManifest", "load_manifest", "recording_ids"],
        "replication": ["CopyOutcome", "CopyResult", "replicate"],
        "restore": ["RestoreReport", "restore"],
        "verify": ["VerifyReport", "find_prefix", "verify_recording"],
    },
)


__all__ = [
    "AuditFinding",
    "AuditReport",
    "Backup",
    "BackupReport",
    "ComplianceAlarm",
    "ComplianceEvent",
    "ComplianceLog",
    "ComplianceRecord",
    "ComplianceRecordEvent",
    "CopyOutcome",
    "CopyResult",
    "DisposalFailed",
    "Disposed",
    "EntryKind",
    "FindingStatus",
    "FixityAudit",
    "FixityAudited",
    "LegalHoldCleared",
    "LegalHoldSet",
    "ManifestEntry",
    "RecordingManifest",
    "RepairOutcome",
    "Repaired",
    "RestoreReport",
    "RetentionAssigned",
    "SampleWindow",
    "VerifyReport",
    "find_prefix",
    "latest_audit_report",
    "load_manifest",
    "next_window",
    "parse_record",
    "recording_ids",
    "render_text",
    "replicate",
    "restore",
    "ring_position",
    "save_report",
    "verify_recording",
]
