"""Reading one bucket of the evidence object store: HEAD, GET verified by SHA-256, streaming hashes,
atomic downloads, listings and presigned URLs, through ``minio``.

The base of :class:`archive.store.object_store.ObjectStore`, which adds the write-once puts, bucket
creation and Object Lock. Every ``minio``/``urllib3`` exception is translated into the archive's own
errors (:func:`archive.store.s3_client.s3_failure`). All methods block; async callers use
``asyncio.to_thread``.
"""

from __future__ import annotations

import copy
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Self

from minio.error import S3Error

from archive.store.s3_client import make_minio_client, s3_failure, translated
from archive.store.store_config import StoreConfig
from archive.store.stored_object import (
    SHA256_METADATA_KEY,
    StoredObject,
    stored_object_from_headers,
    user_metadata,
    verify_digest,
)
from archive.store.verified_stream import VerifiedStream

MAX_PRESIGNED_EXPIRY = timedelta(minutes=10)
UrlSigner = Callable[[str, timedelta], str]
"""Makes a short-lived GET URL for (key, lifetime) in place of the store's own presigned URL."""


class ObjectReader:
    """Blocking reads of one bucket, each verified by SHA-256 where the object carries one.

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
        if timeout_seconds <= 0:
            raise ValueError(f"'timeout_seconds' must be > 0 (got {timeout_seconds})")
        self._config = config
        self._client = make_minio_client(
            config,
            timeout_seconds=timeout_seconds,
            pool_size=8,
            pacing_bytes_per_second=pacing_bytes_per_second,
        )
        self._url_signer: UrlSigner | None = None

    def with_url_signer(self, signer: UrlSigner) -> Self:
        """This store (same bucket, same client) whose :meth:`presigned_get_url` answers ``signer``'s
        URL instead of one on the store's own endpoint — for browsers that cannot reach that endpoint
        (e.g. a store on 127.0.0.1 behind a server that relays the object)."""
        other = copy.copy(self)
        other._url_signer = signer
        return other

    @property
    def config(self) -> StoreConfig:
        """The configuration this store was built with."""
        return self._config

    def bucket_exists(self) -> bool:
        """True when the bucket exists. Raises StoreUnavailableError / StoreAuthError."""
        with self._boundary("checking bucket", ""):
            exists: bool = self._client.bucket_exists(self._config.bucket)
        return exists

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
        return stored_object_from_headers(key, info.size or 0, info.metadata or {})

    def read_bytes(self, key: str) -> bytes:
        """Return the object's bytes, verified against its ``sha256`` metadata when it has one.

        Raises ObjectNotFoundError, ChecksumMismatchError, StoreUnavailableError, StoreAuthError.
        """
        with self._boundary("reading", key), self._get(key) as response:
            data: bytes = response.read()
            expected = user_metadata(response.headers).get(SHA256_METADATA_KEY)
        verify_digest(key, hashlib.sha256(data).hexdigest(), expected)
        return data

    def open_verified(self, key: str, *, sha256: str | None = None) -> VerifiedStream:
        """Start a GET of ``key`` to be read chunk by chunk and checked as it goes against ``sha256``
        when given, else its ``sha256`` metadata (see :mod:`archive.store.verified_stream`); the
        caller closes it.

        Raises ObjectNotFoundError, StoreUnavailableError, StoreAuthError.
        """
        with self._boundary("reading", key):
            response = self._client.get_object(self._config.bucket, key)
        return VerifiedStream(key, response, lambda: self._boundary("reading", key), sha256)

    def sha256_of(self, key: str, *, chunk_size: int = 1 << 20) -> str:
        """Stream the object and return the hex SHA-256 of its bytes (nothing held in memory).

        Raises ObjectNotFoundError, StoreUnavailableError, StoreAuthError.
        """
        digest = hashlib.sha256()
        with self._boundary("hashing", key), self._get(key) as response:
            for chunk in response.stream(chunk_size):
                digest.update(chunk)
        return digest.hexdigest()

    def sha256_and_head(self, key: str, head_bytes: int, *, chunk_size: int = 1 << 20) -> tuple[str, bytes]:
        """Stream the object once and return the hex SHA-256 of its bytes and its first
        ``head_bytes`` bytes (for checks of its format without a second GET).

        Raises ObjectNotFoundError, StoreUnavailableError, StoreAuthError.
        """
        digest = hashlib.sha256()
        head = bytearray()
        with self._boundary("hashing", key), self._get(key) as response:
            for chunk in response.stream(chunk_size):
                digest.update(chunk)
                if len(head) < head_bytes:
                    head += chunk[: head_bytes - len(head)]
        return digest.hexdigest(), bytes(head)

    def download(self, key: str, dest: Path) -> None:
        """Stream the object to ``dest`` atomically (temp file, fsync, rename).

        The bytes are checked against the object's ``sha256`` metadata when it has one; on any failure
        ``dest`` is left untouched. Raises ObjectNotFoundError, ChecksumMismatchError,
        StoreUnavailableError, StoreAuthError; OSError for local file problems.
        """
        partial = dest.with_name(f".{dest.name}.partial")
        try:
            actual, expected = self._stream_to(key, partial)
            verify_digest(key, actual, expected)
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
        if self._url_signer is not None:
            return self._url_signer(key, expires)
        with self._boundary("signing", key):
            url: str = self._client.presigned_get_object(self._config.bucket, key, expires=expires)
        return url

    # -- internals ---------------------------------------------------------------------------------

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
                expected = user_metadata(response.headers).get(SHA256_METADATA_KEY)
                for chunk in response.stream(1 << 20):
                    digest.update(chunk)
                    handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        return digest.hexdigest(), expected

    def _boundary(self, action: str, key: str) -> AbstractContextManager[None]:
        """Translate every minio / urllib3 exception raised inside into an ArchiveError."""
        return translated(
            lambda exc: s3_failure(
                exc,
                service=f"object store {self._config.endpoint}",
                action=action,
                where=f"{self._config.bucket}/{key}",
                auth_hint="check COURTREC_S3_ACCESS_KEY / COURTREC_S3_SECRET_KEY",
            )
        )
