"""archive: checksummed segments and journals in S3, store-and-forward upload, verification,
backup to a second site, fixity audits with repair, retention and legal hold, restore and export.

Imports no other courtrec package.
"""

from archive.alarms import Alarm, AlarmCollector, AlarmCondition, AlarmSeverity, AlarmSink, log_alarm
from archive.audit_report import (
    AuditFinding,
    AuditReport,
    FindingStatus,
    RepairOutcome,
    latest_audit_report,
    render_text,
    save_report,
)
from archive.audit_sampling import SampleWindow, next_window, ring_position
from archive.backup import Backup, BackupReport
from archive.bag_export import ExportResult, export_bag
from archive.compliance_log import ComplianceEvent, ComplianceLog, ComplianceRecord
from archive.device_key import DeviceKey, load_or_create_device_key, verify_signature
from archive.disposal import DisposalReport, dispose_expired
from archive.durable_io import append_durably, fsync_directory, write_file_durably
from archive.errors import (
    ArchiveError,
    ChecksumMismatchError,
    EmbeddedStoreError,
    ExportError,
    IntegrityError,
    JournalError,
    ObjectConflictError,
    ObjectNotFoundError,
    PublicOriginError,
    SpoolError,
    StoreAuthError,
    StoreUnavailableError,
)
from archive.fixity_audit import FixityAudit
from archive.fmp4_boxes import (
    Box,
    complete_fragments_length,
    fragment_start_seconds,
    iter_boxes,
    track_timescales,
)
from archive.hashing import sha256_bytes, sha256_file
from archive.journal_chain import ChainReport, read_chain
from archive.journal_format import EventType, JournalLine, SegmentFlag
from archive.journal_trust import ChainState
from archive.journal_writer import JournalWriter, list_chunks
from archive.layout import (
    RecordingSpool,
    check_identifier,
    check_stream_name,
    device_key_path,
    locator_body,
    locator_key,
    queue_path,
    recording_prefix,
    segment_name,
)
from archive.merkle import merkle_root
from archive.mp4_join import StreamParts, join_streams
from archive.object_lock import LockMode, ObjectLock, ObjectRetention, ObjectVersion
from archive.object_store import ObjectStore, PutOutcome, StoreConfig, StoredObject
from archive.playlist import (
    PlaylistSegment,
    RecordingTracks,
    StreamTrack,
    build_vod_playlist,
    load_tracks,
    tracks_from_journal,
)
from archive.public_origin import PublicOrigin, PublicOriginConfig
from archive.recording_manifest import (
    EntryKind,
    ManifestEntry,
    RecordingManifest,
    load_manifest,
    recording_ids,
)
from archive.recording_summary import RecordingSummary, summarize_journal
from archive.replication import CopyOutcome, CopyResult, replicate
from archive.restore import RestoreReport, restore
from archive.retention import RetentionKeeper
from archive.retention_policy import (
    DisposalDecision,
    RetentionBook,
    RetentionPolicy,
    RetentionState,
    decide_disposal,
    parse_policies,
)
from archive.sealing import SealedFile, seal_file
from archive.settings import ArchiveSettings
from archive.sites import Site
from archive.stop_request import StopRequest
from archive.storage_pressure import StorageReading, check_bucket_pressure, check_disk_pressure
from archive.upload_queue import UploadItem, UploadQueue, UploadState
from archive.uploader import Backoff, Uploader
from archive.verify import VerifyReport, find_prefix, verify_recording
from archive.worm_probe import WormCheck, WormReport, probe_worm

__all__ = [
    "Alarm",
    "AlarmCollector",
    "AlarmCondition",
    "AlarmSeverity",
    "AlarmSink",
    "ArchiveError",
    "ArchiveSettings",
    "AuditFinding",
    "AuditReport",
    "Backoff",
    "Backup",
    "BackupReport",
    "Box",
    "ChainReport",
    "ChainState",
    "ChecksumMismatchError",
    "ComplianceEvent",
    "ComplianceLog",
    "ComplianceRecord",
    "CopyOutcome",
    "CopyResult",
    "DeviceKey",
    "DisposalDecision",
    "DisposalReport",
    "EmbeddedStoreError",
    "EntryKind",
    "EventType",
    "ExportError",
    "ExportResult",
    "FindingStatus",
    "FixityAudit",
    "IntegrityError",
    "JournalError",
    "JournalLine",
    "JournalWriter",
    "LockMode",
    "ManifestEntry",
    "ObjectConflictError",
    "ObjectLock",
    "ObjectNotFoundError",
    "ObjectRetention",
    "ObjectStore",
    "ObjectVersion",
    "PlaylistSegment",
    "PublicOrigin",
    "PublicOriginConfig",
    "PublicOriginError",
    "PutOutcome",
    "RecordingManifest",
    "RecordingSpool",
    "RecordingSummary",
    "RecordingTracks",
    "RepairOutcome",
    "RestoreReport",
    "RetentionBook",
    "RetentionKeeper",
    "RetentionPolicy",
    "RetentionState",
    "SampleWindow",
    "SealedFile",
    "SegmentFlag",
    "Site",
    "SpoolError",
    "StopRequest",
    "StorageReading",
    "StoreAuthError",
    "StoreConfig",
    "StoreUnavailableError",
    "StoredObject",
    "StreamParts",
    "StreamTrack",
    "UploadItem",
    "UploadQueue",
    "UploadState",
    "Uploader",
    "VerifyReport",
    "WormCheck",
    "WormReport",
    "append_durably",
    "build_vod_playlist",
    "check_bucket_pressure",
    "check_disk_pressure",
    "check_identifier",
    "check_stream_name",
    "complete_fragments_length",
    "decide_disposal",
    "device_key_path",
    "dispose_expired",
    "export_bag",
    "find_prefix",
    "fragment_start_seconds",
    "fsync_directory",
    "iter_boxes",
    "join_streams",
    "latest_audit_report",
    "list_chunks",
    "load_manifest",
    "load_or_create_device_key",
    "load_tracks",
    "locator_body",
    "locator_key",
    "log_alarm",
    "merkle_root",
    "next_window",
    "parse_policies",
    "probe_worm",
    "queue_path",
    "read_chain",
    "recording_ids",
    "recording_prefix",
    "render_text",
    "replicate",
    "restore",
    "ring_position",
    "save_report",
    "seal_file",
    "segment_name",
    "sha256_bytes",
    "sha256_file",
    "summarize_journal",
    "track_timescales",
    "tracks_from_journal",
    "verify_recording",
    "verify_signature",
    "write_file_durably",
]
