"""Keeping recordings provable: the manifest of every object, replication between sites, backup, restore,
verification, fixity audits with their sampling and reports, and the compliance log.
"""

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
