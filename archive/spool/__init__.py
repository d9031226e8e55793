"""The recorder's local spool: where files live, sealing a finished file, the durable upload queue and the
uploader that drains it into the object store.

The names below are re-exported lazily (PEP 562): a reader of spool paths does not load the uploader,
and through it the object store and ``minio``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

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

__getattr__, __dir__, _ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "layout": [
            "RecordingSpool",
            "device_key_path",
            "locator_body",
            "locator_key",
            "queue_path",
            "recording_prefix",
            "segment_name",
        ],
        "sealing": ["SealedFile", "seal_file"],
        "upload_queue": ["UploadItem", "UploadQueue", "UploadState"],
        "uploader": ["Uploader"],
    },
)
