"""The recorder's local spool: where files live, sealing a finished file, the durable upload queue and the
uploader that drains it into the object store.

The names below are re-exported lazily (PEP 562): a reader of spool paths does not load the uploader,
and through it the object store and ``minio``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive.lazy_exports import lazy_exports

if TYPE_CHECKING:
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

_SUBMODULE_OF = {
    "RecordingSpool": "layout",
    "device_key_path": "layout",
    "locator_body": "layout",
    "locator_key": "layout",
    "queue_path": "layout",
    "recording_prefix": "layout",
    "segment_name": "layout",
    "SealedFile": "sealing",
    "seal_file": "sealing",
    "UploadItem": "upload_queue",
    "UploadQueue": "upload_queue",
    "UploadState": "upload_queue",
    "Uploader": "uploader",
}

__getattr__, __dir__ = lazy_exports(__name__, _SUBMODULE_OF, globals())
