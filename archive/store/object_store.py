"""The evidence object store: write-once, SHA-256-verified access to one bucket through ``minio``.

Every upload is one PUT carrying the object's SHA-256 twice (see :mod:`archive.store.stored_object`);
an existing key is never overwritten: the same SHA-256 is reported as already present, other bytes raise
:class:`ObjectConflictError`. Reads, listings and presigned URLs come from the base class
:class:`archive.store.object_reader.ObjectReader`. Every ``minio``/``urllib3`` exception is translated
into the archive's own errors (:func:`archive.store.s3_client.s3_failure`). All methods block; async
callers use ``asyncio.to_thread``. Object Lock and versions: :mod:`archive.store.object_lock`, on the
same client.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path

from minio.error import S3Error

from archive.errors import ArchiveError, ChecksumMismatchError, ObjectConflictError
from archive.store.object_lock import ObjectLock
from archive.store.object_reader import ObjectReader
from archive.store.s3_client import BUCKET_EXISTS_CODES, Headers
from archive.store.store_config import StoreConfig
from archive.store.stored_object import (
    PutOutcome,
    StoredObject,
    put_headers,
    require_sha256_hex,
    server_sha256,
)

logger = logging.getLogger(__name__)

MAX_SINGLE_PUT_BYTES = 5 * 1024**3  # S3's limit for one PUT; we never split evidence into parts

_CONDITIONAL_PUT_PROBE_KEY = "_courtrec/probe/if-none-match"


class ObjectStore(ObjectReader):
    """Blocking access to one bucket; write-once puts verified by SHA-256.

    The HTTP pool has ``timeout_seconds`` connect and read timeouts and no retries of its own, so a
    dead store fails fast and the caller's backoff decides when to try again.
    """

    def __init__(
        self,
        config: StoreConfig,
        *,
        timeout_seconds: float = 10.0,
        pacing_bytes_per_second: int | None = None,
    ) -> None:
        super().__init__(
            config, timeout_seconds=timeout_seconds, pacing_bytes_per_second=pacing_bytes_per_second
        )
        self._conditional_put_checked: bool | None = None

    def ensure_bucket(self, *, object_lock: bool = False) -> None:
        """Create the bucket unless it exists (idempotent).

        With ``object_lock`` the bucket is created with S3 Object Lock, and an existing bucket must
        already have it (ArchiveError otherwise: lock cannot be added later). Raises
        StoreUnavailableError / StoreAuthError when the store cannot be used.
        """
        bucket = self._config.bucket
        with self._boundary("creating bucket", ""):
            if not self._client.bucket_exists(bucket):
                try:
                    self._client.make_bucket(bucket, object_lock=object_lock)
                    logger.info("created bucket %s on %s", bucket, self._config.endpoint)
                except S3Error as exc:
                    if exc.code not in BUCKET_EXISTS_CODES:
                        raise
            if object_lock:
                self._require_object_lock()

    def object_lock(self) -> ObjectLock:
        """Object Lock and version operations on this bucket, sharing this store's client."""
        return ObjectLock(self._client, self._config.bucket, self._boundary)

    def delete_bucket(self) -> None:
        """Delete the (empty) bucket; for tests and decommissioning only.

        Raises ArchiveError when the bucket still holds objects, ObjectNotFoundError when it is missing.
        """
        with self._boundary("deleting bucket", ""):
            self._client.remove_bucket(self._config.bucket)

    def put_file(
        self,
        key: str,
        path: Path,
        sha256_hex: str,
        *,
        metadata: Mapping[str, str] | None = None,
        content_type: str = "application/octet-stream",
    ) -> PutOutcome:
        """Store the file at ``path`` under ``key`` unless the key exists; see :meth:`put_bytes`.

        The file is read into memory for the single PUT (at most 5 GiB; ValueError beyond).
        OSError when the file cannot be read.
        """
        size = path.stat().st_size
        if size > MAX_SINGLE_PUT_BYTES:
            raise ValueError(f"{path} is {size} bytes; one PUT takes at most {MAX_SINGLE_PUT_BYTES}")
        return self.put_bytes(
            key, path.read_bytes(), sha256_hex, metadata=metadata, content_type=content_type
        )

    def put_bytes(
        self,
        key: str,
        data: bytes,
        sha256_hex: str,
        *,
        metadata: Mapping[str, str] | None = None,
        content_type: str = "application/octet-stream",
    ) -> PutOutcome:
        """Store ``data`` under ``key`` with one server-verified PUT; never overwrite.

        If the key exists: same SHA-256 -> ALREADY_PRESENT, different -> ObjectConflictError. Otherwise
        the PUT carries ``sha256_hex`` as ``x-amz-checksum-sha256`` and as metadata ``sha256``, and is
        confirmed by a HEAD: it counts (STORED) only when the stored size and SHA-256 equal ours.
        Raises ChecksumMismatchError (server rejected our checksum, or stored bytes differ),
        StoreUnavailableError, StoreAuthError; ValueError for a malformed hash, key or metadata.
        """
        sha256_hex = require_sha256_hex(sha256_hex)
        headers = put_headers(sha256_hex, metadata or {}, content_type)
        # A store proven to honour If-None-Match needs no HEAD first: its 412 says the key exists.
        existing = None if self._conditional_put_honoured() else self.stat(key)
        if existing is not None:
            return self._compare_existing(existing, sha256_hex, len(data))
        response = self._put_if_absent(key, data, headers)
        if response is None:
            return self._compare_after_precondition(key, sha256_hex, len(data))
        if server_sha256(response) != sha256_hex:
            # no checksum echoed in the PUT response (or another one): confirm with a HEAD
            self._confirm_upload(key, sha256_hex, len(data))
        logger.debug("stored %s (%d bytes, sha256 %s)", key, len(data), sha256_hex)
        return PutOutcome.STORED

    def replace_bytes(
        self,
        key: str,
        data: bytes,
        sha256_hex: str,
        *,
        content_type: str = "application/octet-stream",
    ) -> None:
        """Make ``data`` the current object under ``key`` even though the key exists: repair only.

        For a copy already proven bad against the journal. One server-verified PUT without
        ``If-None-Match``, confirmed by a HEAD like :meth:`put_bytes`. In a versioned (Object Lock)
        bucket the bad version stays underneath, retained; otherwise it is overwritten. Raises
        ChecksumMismatchError, StoreUnavailableError, StoreAuthError; ValueError for a malformed hash.
        """
        sha256_hex = require_sha256_hex(sha256_hex)
        headers = put_headers(sha256_hex, {}, content_type)
        del headers["If-None-Match"]
        with self._boundary("replacing", key):
            self._client._put_object(self._config.bucket, key, data, headers)
        self._confirm_upload(key, sha256_hex, len(data))
        logger.info("replaced %s (%d bytes, sha256 %s)", key, len(data), sha256_hex)

    def delete(self, key: str) -> None:
        """Delete ``key`` (no error when it is already gone); for retention code and tests only.

        Raises StoreAuthError when refused (e.g. an object under retention), StoreUnavailableError.
        """
        with self._boundary("deleting", key):
            self._client.remove_object(self._config.bucket, key)

    # -- internals ---------------------------------------------------------------------------------

    def _conditional_put_honoured(self) -> bool:
        """Whether this store refuses a PUT with ``If-None-Match: *`` on an existing key (412).

        Probed once per instance with a small fixed object ``_courtrec/probe/if-none-match`` (never
        deleted; written twice at most, with the same bytes). Raises what a PUT raises.
        """
        if self._conditional_put_checked is None:
            body = b"courtrec: this store's answer to If-None-Match is probed with this object\n"
            headers = put_headers(hashlib.sha256(body).hexdigest(), {}, "text/plain")
            first = self._put_if_absent(_CONDITIONAL_PUT_PROBE_KEY, body, headers)
            honoured = first is None or self._put_if_absent(_CONDITIONAL_PUT_PROBE_KEY, body, headers) is None
            if not honoured:
                logger.warning(
                    "%s ignores If-None-Match: every upload does a HEAD first", self._config.endpoint
                )
            self._conditional_put_checked = honoured
        return self._conditional_put_checked

    def _put_if_absent(self, key: str, data: bytes, headers: Headers) -> Mapping[str, str] | None:
        """One PUT with ``If-None-Match: *``: the response headers, or None when the server answers
        412 (the key exists).

        minio 7.2.20's public put_object turns every header that is not ``x-amz-*`` or a content header
        into user metadata (so ``If-None-Match`` would be stored as ``x-amz-meta-if-none-match`` and the
        object overwritten), and it may split large bodies into parts. ``_put_object`` is the single
        PutObject call put_object itself makes for one-part uploads; it sends our headers unchanged.
        SeaweedFS 4.48 honours the condition (412 PreconditionFailed when the key exists, checked in
        tests); MinIO and AWS S3 do too; a store that ignores it is still covered by the HEAD before.
        """
        with self._boundary("uploading", key):
            try:
                result = self._client._put_object(self._config.bucket, key, data, headers)
            except S3Error as exc:
                if exc.code == "PreconditionFailed":
                    return None
                raise
        return {name.lower(): str(value) for name, value in result.http_headers.items()}

    def _compare_after_precondition(self, key: str, sha256_hex: str, size: int) -> PutOutcome:
        existing = self.stat(key)
        if existing is None:
            raise ObjectConflictError(f"{key} was created and removed by another writer while we uploaded")
        return self._compare_existing(existing, sha256_hex, size)

    def _compare_existing(self, existing: StoredObject, sha256_hex: str, size: int) -> PutOutcome:
        stored = existing.sha256 if existing.sha256 is not None else self.sha256_of(existing.key)
        if stored != sha256_hex:
            raise ObjectConflictError(
                f"{existing.key} already holds other bytes (sha256 {stored}, ours {sha256_hex});"
                " not overwritten"
            )
        self._check_consistent(existing, sha256_hex, size)
        logger.debug("%s already present with sha256 %s", existing.key, sha256_hex)
        return PutOutcome.ALREADY_PRESENT

    def _confirm_upload(self, key: str, sha256_hex: str, size: int) -> None:
        stored = self.stat(key)
        if stored is None:
            raise ChecksumMismatchError(f"{key} is missing right after a successful PUT")
        if stored.sha256 is not None and stored.sha256 != sha256_hex:
            raise ChecksumMismatchError(f"{key} stored with sha256 {stored.sha256}, ours {sha256_hex}")
        self._check_consistent(stored, sha256_hex, size)

    def _check_consistent(self, stored: StoredObject, sha256_hex: str, size: int) -> None:
        """The stored size and the server's own checksum (or, lacking one, a read-back) must match ours."""
        if stored.size != size:
            raise ChecksumMismatchError(f"{stored.key} holds {stored.size} bytes, ours {size}")
        server = stored.server_sha256 if stored.server_sha256 is not None else self.sha256_of(stored.key)
        if server != sha256_hex:
            raise ChecksumMismatchError(f"{stored.key}: server reports sha256 {server}, ours {sha256_hex}")

    def _require_object_lock(self) -> None:
        try:
            self._client.get_object_lock_config(self._config.bucket)
        except S3Error as exc:
            if exc.code != "ObjectLockConfigurationNotFoundError":
                raise
            raise ArchiveError(
                f"bucket {self._config.bucket} exists without object lock, which cannot be added later;"
                " use a new bucket"
            ) from exc
