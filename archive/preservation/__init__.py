"""Keeping recordings provable: the manifest of every object, replication between sites, backup, restore,
verification, fixity audits with their sampling and reports, and the compliance log.

The names below are re-exported lazily (PEP 562): a capture agent and the playlist export need only
``verify.find_prefix``, and loading every capability here eagerly (audit reports, backup, replication)
costs each agent start-up a large share of its import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive.lazy_exports import lazy_exports

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

_SUBMODULE_OF = {
    "AuditFinding": "audit_report",
    "AuditReport": "audit_report",
    "FindingStatus": "audit_report",
    "RepairOutcome": "audit_report",
    "latest_audit_report": "audit_report",
    "render_text": "audit_report",
    "save_report": "audit_report",
    "SampleWindow": "audit_sampling",
    "next_window": "audit_sampling",
    "ring_position": "audit_sampling",
    "Backup": "backup",
    "BackupReport": "backup",
    "ComplianceLog": "compliance_log",
    "ComplianceRecord": "compliance_log",
    "ComplianceAlarm": "compliance_records",
    "ComplianceEvent": "compliance_records",
    "ComplianceRecordEvent": "compliance_records",
    "DisposalFailed": "compliance_records",
    "Disposed": "compliance_records",
    "FixityAudited": "compliance_records",
    "LegalHoldCleared": "compliance_records",
    "LegalHoldSet": "compliance_records",
    "Repaired": "compliance_records",
    "RetentionAssigned": "compliance_records",
    "parse_record": "compliance_records",
    "FixityAudit": "fixity_audit",
    "EntryKind": "manifest",
    "ManifestEntry": "manifest",
    "RecordingManifest": "manifest",
    "load_manifest": "manifest",
    "recording_ids": "manifest",
    "CopyOutcome": "replication",
    "CopyResult": "replication",
    "replicate": "replication",
    "RestoreReport": "restore",
    "restore": "restore",
    "VerifyReport": "verify",
    "find_prefix": "verify",
    "verify_recording": "verify",
}


__getattr__, __dir__ = lazy_exports(__name__, _SUBMODULE_OF, globals())


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
