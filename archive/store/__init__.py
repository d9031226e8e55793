"""Object storage: the S3 adapter (the only code that imports minio), Object Lock, the embedded SeaweedFS
server, the WORM probe, storage pressure, the public live origin and the named sites.

The names below are re-exported lazily (PEP 562): settings and spools name a ``StoreConfig`` or a
``Site`` without loading ``minio`` (about a second of CPU) into every process that never talks to S3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive.lazy_exports import lazy_exports

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

_SUBMODULE_OF = {
    "LockMode": "lock_values",
    "ObjectLock": "object_lock",
    "ObjectRetention": "lock_values",
    "ObjectVersion": "lock_values",
    "ObjectStore": "object_store",
    "PublicOrigin": "public_origin",
    "PublicOriginConfig": "public_origin_config",
    "Site": "sites",
    "StorageReading": "storage_pressure",
    "check_bucket_pressure": "storage_pressure",
    "check_disk_pressure": "storage_pressure",
    "StoreConfig": "store_config",
    "PutOutcome": "stored_object",
    "StoredObject": "stored_object",
    "WormCheck": "worm_probe",
    "WormReport": "worm_probe",
    "probe_worm": "worm_probe",
}

__getattr__, __dir__ = lazy_exports(__name__, _SUBMODULE_OF, globals())
