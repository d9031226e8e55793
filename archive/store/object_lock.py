"""S3 Object Lock and object versions on one bucket: retention, legal hold, version listing and deletion.

One of the modules that import ``minio`` (with :mod:`archive.store.object_store`, which hands out an
:class:`ObjectLock` through :meth:`ObjectStore.object_lock` sharing its client and its translation of
``minio`` / ``urllib3`` errors into the archive's own). Nothing here decides policy: retention and
disposal rules live in :mod:`archive.retention.keeper`; whether a store really enforces any of this is found
out by :mod:`archive.store.worm_probe`, never assumed.

In a lock-enabled (hence versioned) bucket a plain DELETE only adds a delete marker; destroying bytes
takes :meth:`ObjectLock.delete_version`, which the store refuses for a retained or held version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from minio import Minio
from minio.commonconfig import COMPLIANCE, GOVERNANCE
from minio.deleteobjects import DeleteObject
from minio.error import S3Error
from minio.retention import Retention

from archive.store.lock_values import LockMode, ObjectRetention, ObjectVersion

Boundary = Callable[[str, str], AbstractContextManager[None]]
_Headers = dict[str, str | list[str] | tuple[str]]  # minio's DictType

_NO_LOCK_CONFIG_CODES = frozenset({"ObjectLockConfigurationNotFoundError"})
_NO_RETENTION_CODES = frozenset({"NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError"})
_MISSING_VERSION_CODES = frozenset({"NoSuchKey", "NoSuchVersion"})


class ObjectLock:
    """Object Lock and version operations on one bucket; obtain it from ``ObjectStore.object_lock()``.

    Every method blocks. Errors are the archive's: StoreAuthError when the store refuses (a retained or
    held version, or bad credentials), ArchiveError for a request the store rejects as invalid (e.g.
    retention on a bucket without Object Lock), StoreUnavailableError when it cannot be reached.
    """

    def __init__(self, client: Minio, bucket: str, boundary: Boundary) -> None:
        self._client = client
        self._bucket = bucket
        self._boundary = boundary

    def bucket_lock_enabled(self) -> bool:
        """True when the bucket was created with Object Lock."""
        with self._boundary("reading the object-lock configuration of", ""):
            try:
                self._client.get_object_lock_config(self._bucket)
            except S3Error as exc:
                if exc.code in _NO_LOCK_CONFIG_CODES:
                    return False
                raise
        return True

    def versioning_enabled(self) -> bool:
        """True when the bucket keeps object versions (required by, and implied by, Object Lock)."""
        with self._boundary("reading the versioning of", ""):
            status = self._client.get_bucket_versioning(self._bucket).status
        return status == "Enabled"

    def set_retention(
        self, key: str, mode: LockMode, retain_until: datetime, *, version_id: str | None = None
    ) -> None:
        """Set (or extend) the retention of ``key`` (its current version unless ``version_id``).

        ``retain_until`` must be timezone-aware and in the future (ValueError otherwise). A store that
        enforces COMPLIANCE refuses to shorten it (StoreAuthError).
        """
        if retain_until.tzinfo is None:
            raise ValueError("'retain_until' must be timezone-aware")
        if retain_until <= datetime.now(UTC):
            raise ValueError(f"'retain_until' must be in the future (got {retain_until.isoformat()})")
        config = Retention(COMPLIANCE if mode is LockMode.COMPLIANCE else GOVERNANCE, retain_until)
        with self._boundary("setting the retention of", key):
            self._client.set_object_retention(self._bucket, key, config, version_id=version_id)

    def retention(self, key: str, *, version_id: str | None = None) -> ObjectRetention | None:
        """The retention of ``key`` (current version unless ``version_id``); None when it has none."""
        with self._boundary("reading the retention of", key):
            try:
                found = self._client.get_object_retention(self._bucket, key, version_id=version_id)
            except S3Error as exc:
                if exc.code in _NO_RETENTION_CODES:
                    return None
                raise
        if found is None or found.mode is None or found.retain_until_date is None:
            return None
        return ObjectRetention(LockMode(found.mode), found.retain_until_date)

    def set_legal_hold(self, key: str, on: bool, *, version_id: str | None = None) -> None:
        """Switch the legal hold of ``key`` (current version unless ``version_id``) on or off."""
        with self._boundary("setting the legal hold of", key):
            if on:
                self._client.enable_object_legal_hold(self._bucket, key, version_id=version_id)
            else:
                self._client.disable_object_legal_hold(self._bucket, key, version_id=version_id)

    def legal_hold(self, key: str, *, version_id: str | None = None) -> bool:
        """True when ``key`` (current version unless ``version_id``) is under legal hold."""
        with self._boundary("reading the legal hold of", key):
            return bool(self._client.is_object_legal_hold_enabled(self._bucket, key, version_id=version_id))

    def current_version_id(self, key: str) -> str | None:
        """The version id of the current version of ``key`` (None in an unversioned bucket).

        Raises ObjectNotFoundError when the key does not exist (or its latest version is a delete marker).
        """
        with self._boundary("checking", key):
            version: str | None = self._client.stat_object(self._bucket, key).version_id
        return version if version not in (None, "null") else None

    def versions(self, prefix: str) -> Iterator[ObjectVersion]:
        """Yield every version and delete marker under ``prefix`` (recursive)."""
        with self._boundary("listing versions under", prefix):
            for item in self._client.list_objects(
                self._bucket, prefix=prefix, recursive=True, include_version=True
            ):
                if item.is_dir:
                    continue
                yield ObjectVersion(
                    key=item.object_name,
                    version_id=item.version_id if item.version_id not in (None, "null") else None,
                    is_delete_marker=bool(item.is_delete_marker),
                    is_latest=str(item.is_latest).lower() == "true",
                    size=int(item.size or 0),
                )

    def delete_version(self, key: str, version_id: str | None, *, bypass_governance: bool = False) -> None:
        """Destroy one version of ``key`` for good (``None``: the unversioned object).

        Refused by an enforcing store while the version is retained or held (StoreAuthError).
        ``bypass_governance`` sends ``x-amz-bypass-governance-retention``; only the WORM probe uses
        it, to find out whether the credential can bypass GOVERNANCE (evidence never uses GOVERNANCE).
        """
        headers: _Headers | None = (
            {"x-amz-bypass-governance-retention": "true"} if bypass_governance else None
        )
        query: _Headers | None = {"versionId": version_id} if version_id is not None else None
        with self._boundary("deleting a version of", key):
            response = self._client._execute(  # remove_object cannot send the bypass header
                "DELETE", self._bucket, key, headers=headers, query_params=query
            )
            response.close()

    def delete_versions_batch(self, targets: list[tuple[str, str | None]]) -> list[str]:
        """Delete several versions with one multi-object DELETE; returns one message per refusal."""
        objects = [DeleteObject(key, version_id) for key, version_id in targets]
        with self._boundary("batch-deleting versions in", ""):
            errors = list(self._client.remove_objects(self._bucket, objects))
        return [f"{error.name}: {error.code}" for error in errors]

    def sha256_of_version(self, key: str, version_id: str) -> str | None:
        """Hex SHA-256 of one version's bytes (streamed); None when that version no longer exists."""
        digest = hashlib.sha256()
        with self._boundary("hashing a version of", key):
            try:
                response = self._client.get_object(self._bucket, key, version_id=version_id)
            except S3Error as exc:
                if exc.code in _MISSING_VERSION_CODES:
                    return None
                raise
            try:
                for chunk in response.stream(1 << 20):
                    digest.update(chunk)
            finally:
                response.close()
                response.release_conn()
        return digest.hexdigest()
