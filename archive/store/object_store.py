"""The S3 object store adapter: the only module of the project that talks to ``minio``.

Every upload is one PUT that carries the object's SHA-256 twice: as ``x-amz-checksum-sha256``, which the
server verifies against the bytes it received (SeaweedFS and MinIO answer 400 BadDigest otherwise), and
as user metadata ``sha256``, which stays readable on every HEAD/GET. An existing key is never
overwritten: a key that already holds the same SHA-256 is reported as already present, one that holds
other bytes raises :class:`ObjectConflictError`.

Every ``minio`` and ``urllib3`` exception is translated here into the archive's own errors, so no
foreign type leaks to callers. All methods block; async callers use ``asyncio.to_thread``.

``minio`` is imported here, in :mod:`archive.store.object_lock` (Object Lock and versions, handed out by
:meth:`ObjectStore.object_lock` on the same client and error translation) and in
:mod:`archive.store.public_origin` (the public live bucket, whose objects are replaced: never evidence).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn
from urllib.parse import urlsplit

from minio.error import S3Error

from archive.errors import (
    ArchiveError,
    ChecksumMismatchError,
    ObjectConflictError,
    ObjectNotFoundError,
    StoreAuthError,
    StoreUnavailableError,
)
from archive.store.object_lock import ObjectLock
from archive.store.s3_client import (
    AUTH_CODES,
    BUCKET_EXISTS_CODES,
    MINIO_ERRORS,
    Headers,
    make_minio_client,
    transport_error,
)

logger = logging.getLogger(__name__)

SHA256_METADATA_KEY = "sha256"
MAX_PRESIGNED_EXPIRY = timedelta(minutes=10)
MAX_SINGLE_PUT_BYTES = 5 * 1024**3  # S3's limit for one PUT; we never split evidence into parts

_CONDITIONAL_PUT_PROBE_KEY = "_courtrec/probe/if-none-match"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_METADATA_KEY = re.compile(r"[a-z0-9][a-z0-9-]*")  # no "_": proxies drop such headers
_DIGEST_CODES = frozenset(
    {"BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch", "XAmzContentSHA256Mismatch"}
)
_UNAVAILABLE_CODES = frozenset({"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"})
_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchBucket"})


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """Where and how to reach one bucket of an S3 service; the URL scheme decides TLS."""

    endpoint: str
    access_key: str
    secret_key: str = field(repr=False)
    bucket: str
    region: str = "us-east-1"

    def __post_init__(self) -> None:
        parts = urlsplit(self.endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"'endpoint' must be http://HOST[:PORT] or https://HOST[:PORT] (got {self.endpoint!r})"
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
            raise ValueError(f"'endpoint' must not carry a path, query or user (got {self.endpoint!r})")
        for name in ("access_key", "secret_key", "bucket", "region"):
            if not getattr(self, name):
                raise ValueError(f"'{name}' must not be empty")

    @property
    def secure(self) -> bool:
        """True when the endpoint is https."""
        return urlsplit(self.endpoint).scheme == "https"

    @property
    def netloc(self) -> str:
        """``host:port`` of the endpoint, as the SDK wants it."""
        return urlsplit(self.endpoint).netloc


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What the store reports about one object.

    ``sha256`` is our user metadata ``sha256`` when present, else the server's full-object checksum;
    ``server_sha256`` is the checksum the server itself reports (None when it reports none, and always
    None in listings). ``metadata`` holds the user metadata with lower-case keys, ``x-amz-meta-`` removed.
    """

    key: str
    size: int
    sha256: str | None
    server_sha256: str | None
    metadata: Mapping[str, str]


class PutOutcome(StrEnum):
    """What a put did: wrote the object, or found the identical object already there."""

    STORED = "stored"
    ALREADY_PRESENT = "already_present"


class ObjectStore:
    """Blocking access to one bucket; write-once puts verified by SHA-256.

    The HTTP pool has ``timeout_seconds`` connect and read timeouts and no retries of its own, so a
    dead store fails fast and the caller's backoff decides when to try again.
    """

    def __init__(self, config: StoreConfig, *, timeout_seconds: float = 10.0) -> None:
        if timeout_seconds <= 0:
            raise ValueError(f"'timeout_seconds' must be > 0 (got {timeout_seconds})")
        self._config = config
        self._conditional_put_checked: bool | None = None
        self._client = make_minio_client(config, timeout_seconds=timeout_seconds, pool_size=8)

    @property
    def config(self) -> StoreConfig:
        """The configuration this store was built with."""
        return self._config

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

    def bucket_exists(self) -> bool:
        """True when the bucket exists. Raises StoreUnavailableError / StoreAuthError."""
        with self._boundary("checking bucket", ""):
            exists: bool = self._client.bucket_exists(self._config.bucket)
        return exists

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
        sha256_hex = _require_sha256_hex(sha256_hex)
        headers = _put_headers(sha256_hex, metadata or {}, content_type)
        # A store proven to honour If-None-Match needs no HEAD first: its 412 says the key exists.
        existing = None if self._conditional_put_honoured() else self.stat(key)
        if existing is not None:
            return self._compare_existing(existing, sha256_hex, len(data))
        response = self._put_if_absent(key, data, headers)
        if response is None:
            return self._compare_after_precondition(key, sha256_hex, len(data))
        if _server_sha256(response) != sha256_hex:
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
        sha256_hex = _require_sha256_hex(sha256_hex)
        headers = _put_headers(sha256_hex, {}, content_type)
        del headers["If-None-Match"]
        with self._boundary("replacing", key):
            self._client._put_object(self._config.bucket, key, data, headers)
        self._confirm_upload(key, sha256_hex, len(data))
        logger.info("replaced %s (%d bytes, sha256 %s)", key, len(data), sha256_hex)

    def stat(self, key: str) -> StoredObject | None:
        """HEAD ``key`` with checksum mode enabled; None when the object does not exist.

        Raises StoreUnavailableError / StoreAuthError.
        """
        with self._boundary("checking", key):
            try:
                info = self._client.stat_object(
                    self._config.bucket, key, extra_headers={"x-amz-checksum-mode": "ENABLED"}
                )
            except S3Error as exc:
                if exc.code == "NoSuchKey":
                    return None
                raise
        return _stored_object(key, info.size or 0, info.metadata or {})

    def read_bytes(self, key: str) -> bytes:
        """Return the object's bytes, verified against its ``sha256`` metadata when it has one.

        Raises ObjectNotFoundError, ChecksumMismatchError, StoreUnavailableError, StoreAuthError.
        """
        with self._boundary("reading", key), self._get(key) as response:
            data: bytes = response.read()
            expected = _user_metadata(response.headers).get(SHA256_METADATA_KEY)
        _verify_digest(key, hashlib.sha256(data).hexdigest(), expected)
        return data

    def sha256_of(self, key: str, *, chunk_size: int = 1 << 20) -> str:
        """Stream the object and return the hex SHA-256 of its bytes (nothing held in memory).

        Raises ObjectNotFoundError, StoreUnavailableError, StoreAuthError.
        """
        digest = hashlib.sha256()
        with self._boundary("hashing", key), self._get(key) as response:
            for chunk in response.stream(chunk_size):
                digest.update(chunk)
        return digest.hexdigest()

    def download(self, key: str, dest: Path) -> None:
        """Stream the object to ``dest`` atomically (temp file, fsync, rename).

        The bytes are checked against the object's ``sha256`` metadata when it has one; on any failure
        ``dest`` is left untouched. Raises ObjectNotFoundError, ChecksumMismatchError,
        StoreUnavailableError, StoreAuthError; OSError for local file problems.
        """
        partial = dest.with_name(f".{dest.name}.partial")
        try:
            actual, expected = self._stream_to(key, partial)
            _verify_digest(key, actual, expected)
            os.replace(partial, dest)
        finally:
            partial.unlink(missing_ok=True)

    def list_objects(self, prefix: str) -> Iterator[StoredObject]:
        """Yield every object under ``prefix`` (recursive, in key order).

        Listings carry no per-object HEAD: ``sha256`` and ``server_sha256`` are None and ``metadata``
        is empty; call :meth:`stat` for those. Raises StoreUnavailableError / StoreAuthError.
        """
        with self._boundary("listing", prefix):
            for item in self._client.list_objects(self._config.bucket, prefix=prefix, recursive=True):
                if not item.is_dir:
                    yield StoredObject(
                        item.object_name, int(item.size or 0), None, None, MappingProxyType({})
                    )

    def presigned_get_url(self, key: str, *, expires: timedelta) -> str:
        """A presigned GET URL for ``key`` valid for ``expires`` (0 < expires <= 10 minutes).

        Signing is local (no request is made). ValueError for any other lifetime.
        """
        if not timedelta(0) < expires <= MAX_PRESIGNED_EXPIRY:
            raise ValueError(f"'expires' must be > 0 and <= {MAX_PRESIGNED_EXPIRY} (got {expires})")
        with self._boundary("signing", key):
            url: str = self._client.presigned_get_object(self._config.bucket, key, expires=expires)
        return url

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
            headers = _put_headers(hashlib.sha256(body).hexdigest(), {}, "text/plain")
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

    @contextmanager
    def _get(self, key: str) -> Iterator[Any]:
        response = self._client.get_object(self._config.bucket, key)
        try:
            yield response
        finally:
            response.close()
            response.release_conn()

    def _stream_to(self, key: str, partial: Path) -> tuple[str, str | None]:
        digest = hashlib.sha256()
        with partial.open("wb") as handle:
            with self._boundary("downloading", key), self._get(key) as response:
                expected = _user_metadata(response.headers).get(SHA256_METADATA_KEY)
                for chunk in response.stream(1 << 20):
                    digest.update(chunk)
                    handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        return digest.hexdigest(), expected

    @contextmanager
    def _boundary(self, action: str, key: str) -> Iterator[None]:
        """Translate every minio / urllib3 exception raised inside into an ArchiveError."""
        try:
            yield
        except MINIO_ERRORS as exc:
            self._raise_translated(exc, action, key)

    def _raise_translated(self, exc: Exception, action: str, key: str) -> NoReturn:
        where = f"{self._config.bucket}/{key}"
        endpoint = self._config.endpoint
        if isinstance(exc, S3Error):
            code = exc.code or ""
            detail = f"{code}: {exc.message}"
            if code in AUTH_CODES:
                raise StoreAuthError(
                    f"object store {endpoint} refused {action} {where} ({detail});"
                    " check COURTREC_S3_ACCESS_KEY / COURTREC_S3_SECRET_KEY"
                ) from exc
            if code in _DIGEST_CODES:
                raise ChecksumMismatchError(
                    f"object store {endpoint} rejected our SHA-256 for {where} ({detail})"
                ) from exc
            if code in _MISSING_CODES:
                raise ObjectNotFoundError(f"{where} not found on {endpoint} ({detail})") from exc
            status = exc.response.status if exc.response is not None else 0
            if code in _UNAVAILABLE_CODES or status >= 500:
                raise StoreUnavailableError(
                    f"object store {endpoint} failed {action} {where}: {detail}"
                ) from exc
            raise ArchiveError(f"object store {endpoint} refused {action} {where}: {detail}") from exc
        raise transport_error(exc, service=f"object store {endpoint}", action=action, where=where) from exc


def _require_sha256_hex(value: str) -> str:
    normalized = value.lower()
    if not _SHA256_HEX.fullmatch(normalized):
        raise ValueError(f"'sha256_hex' must be 64 hex digits (got {value!r})")
    return normalized


def _put_headers(sha256_hex: str, metadata: Mapping[str, str], content_type: str) -> Headers:
    headers: Headers = {
        "Content-Type": content_type,
        "x-amz-checksum-sha256": base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii"),
        f"x-amz-meta-{SHA256_METADATA_KEY}": sha256_hex,
        "If-None-Match": "*",
    }
    for raw_key, value in metadata.items():
        key = raw_key.lower()
        if not _METADATA_KEY.fullmatch(key) or key == SHA256_METADATA_KEY:
            raise ValueError(
                f"metadata keys must match [a-z0-9][a-z0-9-]* and not be {SHA256_METADATA_KEY!r}"
                f" (got {raw_key!r})"
            )
        if not value.isascii() or not value.isprintable():
            raise ValueError(f"metadata values must be printable ASCII (got {value!r} for {raw_key!r})")
        headers[f"x-amz-meta-{key}"] = value
    return headers


def _user_metadata(headers: Mapping[str, str]) -> dict[str, str]:
    prefix = "x-amz-meta-"
    return {
        name.lower()[len(prefix) :]: value
        for name, value in headers.items()
        if name.lower().startswith(prefix)
    }


def _server_sha256(headers: Mapping[str, str]) -> str | None:
    """Hex of the server's full-object ``x-amz-checksum-sha256``; None if absent or composite."""
    lowered = {name.lower(): value for name, value in headers.items()}
    value = lowered.get("x-amz-checksum-sha256")
    if value is None or lowered.get("x-amz-checksum-type", "FULL_OBJECT").upper() == "COMPOSITE":
        return None
    try:
        digest = base64.b64decode(value, validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != hashlib.sha256().digest_size:
        logger.warning("ignoring a malformed x-amz-checksum-sha256 %r", value)
        return None
    return digest.hex()


def _stored_object(key: str, size: int, headers: Mapping[str, str]) -> StoredObject:
    metadata = _user_metadata(headers)
    server = _server_sha256(headers)
    ours = metadata.get(SHA256_METADATA_KEY)
    return StoredObject(
        key=key,
        size=size,
        sha256=ours.lower() if ours is not None else server,
        server_sha256=server,
        metadata=MappingProxyType(metadata),
    )


def _verify_digest(key: str, actual: str, expected: str | None) -> None:
    if expected is not None and actual != expected.lower():
        raise ChecksumMismatchError(f"{key} read back with sha256 {actual}, its metadata says {expected}")
