"""archive: checksummed segments and journals in S3, store-and-forward upload, verification,
backup to a second site, fixity audits with repair, retention and legal hold, restore and export.

Imports no other courtrec package.
"""

from archive.alarms import Alarm, AlarmCollector, AlarmCondition, AlarmSeverity, AlarmSink, log_alarm
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
from archive.export.bag import ExportResult, export_bag
from archive.export.mp4_join import StreamParts, join_streams
from archive.export.playlist import (
    PlaylistSegment,
    RecordingTracks,
    StreamTrack,
    build_vod_playlist,
    load_tracks,
    tracks_from_journal,
)
from archive.formats.fmp4_boxes import (
    Box,
    complete_fragments_length,
    fragment_start_seconds,
    iter_boxes,
    track_timescales,
)
from archive.journal.chain import ChainReport, read_chain
from archive.journal.device_key import DeviceKey, load_or_create_device_key, verify_signature
from archive.journal.events import (
    AlarmEvent,
    CheckpointEvent,
    GapEvent,
    InitEvent,
    JournalEvent,
    LeafEvent,
    PauseEvent,
    RecordingFailedEvent,
    RepairEvent,
    ResumeEvent,
    SegmentEvent,
    StartEvent,
    StopEvent,
    parse_event,
)
from archive.journal.format import EventType, JournalLine, SegmentFlag
from archive.journal.merkle import merkle_root
from archive.journal.stream_declaration import AudioDeclaration, StreamDeclaration, VideoDeclaration
from archive.journal.summary import RecordingSummary, summarize_journal
from archive.journal.trust import ChainState
from archive.journal.writer import JournalWriter, list_chunks
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
from archive.retention.compliance_log import ComplianceLog, ComplianceRecord
from archive.retention.compliance_records import (
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
from archive.settings import ArchiveSettings
from archive.spool.durable_io import append_durably, fsync_directory, write_file_durably
from archive.spool.hashing import sha256_bytes, sha256_file
from archive.spool.layout import (
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
from archive.spool.sealing import SealedFile, seal_file
from archive.spool.upload_queue import UploadItem, UploadQueue, UploadState
from archive.spool.uploader import Backoff, Uploader
from archive.stop_request import StopRequest
from archive.store.object_lock import LockMode, ObjectLock, ObjectRetention, ObjectVersion
from archive.store.object_store import ObjectStore, PutOutcome, StoreConfig, StoredObject
from archive.store.public_origin import PublicOrigin, PublicOriginConfig
from archive.store.sites import Site
from archive.store.storage_pressure import StorageReading, check_bucket_pressure, check_disk_pressure
from archive.store.worm_probe import WormCheck, WormReport, probe_worm

__all__ = [
    "Alarm",
    "AlarmCollector",
    "AlarmCondition",
    "AlarmEvent",
    "AlarmSeverity",
    "AlarmSink",
    "ArchiveError",
    "ArchiveSettings",
    "AudioDeclaration",
    "AuditFinding",
    "AuditReport",
    "Backoff",
    "Backup",
    "BackupReport",
    "Box",
    "ChainReport",
    "ChainState",
    "CheckpointEvent",
    "ChecksumMismatchError",
    "ComplianceAlarm",
    "ComplianceEvent",
    "ComplianceLog",
    "ComplianceRecord",
    "ComplianceRecordEvent",
    "CopyOutcome",
    "CopyResult",
    "DeviceKey",
    "DisposalDecision",
    "DisposalFailed",
    "DisposalReport",
    "Disposed",
    "EmbeddedStoreError",
    "EntryKind",
    "EventType",
    "ExportError",
    "ExportResult",
    "FindingStatus",
    "FixityAudit",
    "FixityAudited",
    "GapEvent",
    "InitEvent",
    "IntegrityError",
    "JournalError",
    "JournalEvent",
    "JournalLine",
    "JournalWriter",
    "LeafEvent",
    "LegalHoldCleared",
    "LegalHoldSet",
    "LockMode",
    "ManifestEntry",
    "ObjectConflictError",
    "ObjectLock",
    "ObjectNotFoundError",
    "ObjectRetention",
    "ObjectStore",
    "ObjectVersion",
    "PauseEvent",
    "PlaylistSegment",
    "PublicOrigin",
    "PublicOriginConfig",
    "PublicOriginError",
    "PutOutcome",
    "RecordingFailedEvent",
    "RecordingManifest",
    "RecordingSpool",
    "RecordingSummary",
    "RecordingTracks",
    "RepairEvent",
    "RepairOutcome",
    "Repaired",
    "RestoreReport",
    "ResumeEvent",
    "RetentionAssigned",
    "RetentionBook",
    "RetentionKeeper",
    "RetentionPolicy",
    "RetentionState",
    "SampleWindow",
    "SealedFile",
    "SegmentEvent",
    "SegmentFlag",
    "Site",
    "SpoolError",
    "StartEvent",
    "StopEvent",
    "StopRequest",
    "StorageReading",
    "StoreAuthError",
    "StoreConfig",
    "StoreUnavailableError",
    "StoredObject",
    "StreamDeclaration",
    "StreamParts",
    "StreamTrack",
    "UploadItem",
    "UploadQueue",
    "UploadState",
    "Uploader",
    "VerifyReport",
    "VideoDeclaration",
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
    "parse_event",
    "parse_policies",
    "parse_record",
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
