"""archive: checksummed segments and journals in S3, store-and-forward upload, verification.

Imports no other courtrec package.
"""

from archive.device_key import DeviceKey, load_or_create_device_key, verify_signature
from archive.durable_io import append_durably, fsync_directory, write_file_durably
from archive.errors import (
    ArchiveError,
    ChecksumMismatchError,
    EmbeddedStoreError,
    IntegrityError,
    JournalError,
    ObjectConflictError,
    ObjectNotFoundError,
    SpoolError,
    StoreAuthError,
    StoreUnavailableError,
)
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
from archive.object_store import ObjectStore, PutOutcome, StoreConfig, StoredObject
from archive.sealing import SealedFile, seal_file
from archive.settings import ArchiveSettings
from archive.upload_queue import UploadItem, UploadQueue, UploadState
from archive.uploader import Backoff, Uploader
from archive.verify import VerifyReport, verify_recording

__all__ = [
    "ArchiveError",
    "ArchiveSettings",
    "Backoff",
    "Box",
    "ChainReport",
    "ChecksumMismatchError",
    "DeviceKey",
    "EmbeddedStoreError",
    "EventType",
    "IntegrityError",
    "JournalError",
    "JournalLine",
    "JournalWriter",
    "ObjectConflictError",
    "ObjectNotFoundError",
    "ObjectStore",
    "PutOutcome",
    "RecordingSpool",
    "SealedFile",
    "SegmentFlag",
    "SpoolError",
    "StoreAuthError",
    "StoreConfig",
    "StoreUnavailableError",
    "StoredObject",
    "UploadItem",
    "UploadQueue",
    "UploadState",
    "Uploader",
    "VerifyReport",
    "append_durably",
    "check_identifier",
    "check_stream_name",
    "complete_fragments_length",
    "device_key_path",
    "fragment_start_seconds",
    "fsync_directory",
    "iter_boxes",
    "list_chunks",
    "load_or_create_device_key",
    "locator_body",
    "locator_key",
    "merkle_root",
    "queue_path",
    "read_chain",
    "recording_prefix",
    "seal_file",
    "segment_name",
    "sha256_bytes",
    "sha256_file",
    "track_timescales",
    "verify_recording",
    "verify_signature",
    "write_file_durably",
]
