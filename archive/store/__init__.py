"""Object storage: the S3 adapter (the only code that imports minio), Object Lock, the embedded SeaweedFS
server, the WORM probe, storage pressure, the public live origin and the named sites.
"""

from archive.store.object_lock import LockMode, ObjectLock, ObjectRetention, ObjectVersion
from archive.store.object_store import ObjectStore
from archive.store.public_origin import PublicOrigin, PublicOriginConfig
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
