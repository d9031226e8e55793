"""The recorder's local spool: where files live, sealing a finished file, the durable upload queue and the
uploader that drains it into the object store.
"""

from archive.spool.layout import (
    RecordingSpool,
    device_key_path,
    locator_body,
    locator_key,
    queue_path,
    recording_prefix,
    segment_name,
)
from archive.spool.sealing import SealedFile, seal_file
from archive.spool.upload_queue import UploadItem, UploadQueue, UploadState
from archive.spool.uploader import Uploader

__all__ = [
    "RecordingSpool",
    "SealedFile",
    "UploadItem",
    "UploadQueue",
    "UploadState",
    "Uploader",
    "device_key_path",
    "locator_body",
    "locator_key",
    "queue_path",
    "recording_prefix",
    "seal_file",
    "segment_name",
]
