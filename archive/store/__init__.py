"""Object storage: the S3 adapter (the only code that imports minio), Object Lock, the embedded SeaweedFS
server, the WORM probe, storage pressure, the public live origin and the named sites.

The names below are re-exported lazily (PEP 562): settings and spools name a ``StoreConfig`` or a
``Site`` without loading ``minio`` (about a second of CPU) into every process that never talks to S3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

if TYPE_CHECKING:
    from archive.store.lock_values import LockMode, ObjectRetention, ObjectVersion
    from archive.store.object_lock import ObjectLock
    from archive.store.object_store import ObjectStore
    from archive.store.public_origin import PublicOrigin
    from archive.store.public_origin_config import PublicOriginConfig
    from archive.store.sites import Site
    from archive.store.storage_pressure import StorageReading, check_bucket_pressure, check_disk_pressure
    from archive.store.store_config import StoreConfig
    from archive.store.stored_object import PutOutcome, StoredObject
    from archive.store.worm_probe import WormCheck, WormReport, probe_worm

__all__ = [
    "LockMode",
    "ObjectLock",
    "ObjectRetention",
    "ObjectStore",
    "ObjectVersion",
    "PublicOrigin",
    "PublicOriginConfig",
    "PutOutcome",
    "Site",
    "StorageReading",
    "StoreConfig",
    "StoredObject",
    "WormCheck",
    "WormReport",
    "check_bucket_pressure",
    "check_disk_pressure",
    "probe_worm",
]

__getattr__, __dir__, _ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "lock_values": ["LockMode", "ObjectRetention", "ObjectVersion"],
        "object_lock": ["ObjectLock"],
        "object_store": ["ObjectStore"],
        "public_origin": ["PublicOrigin"],
        "public_origin_config": ["PublicOriginConfig"],
        "sites": ["Site"],
        "storage_pressure": ["StorageReading", "check_bucket_pressure", "check_disk_pressure"],
        "store_config": ["StoreConfig"],
        "stored_object": ["PutOutcome", "StoredObject"],
        "worm_probe": ["WormCheck", "WormReport", "probe_worm"],
    },
)
