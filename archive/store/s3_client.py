"""What every minio-backed adapter of the archive shares: building the client and naming failures.

The evidence store (``object_store``) and the public live origin (``public_origin``) talk to S3 with
their own credentials and rules, but build their clients and translate minio's exceptions the same
way: a bounded pool, explicit timeouts, no urllib3 retries (callers own their retry policy), and an
ArchiveError subclass whose message names the endpoint, the action and the object.
"""

from __future__ import annotations

from typing import Protocol

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError

from archive.errors import (
    ArchiveError,
    ChecksumMismatchError,
    ObjectNotFoundError,
    StoreAuthError,
    StoreUnavailableError,
)

AUTH_CODES = frozenset({"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"})
BUCKET_EXISTS_CODES = frozenset({"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})
MINIO_ERRORS = (S3Error, ServerError, InvalidResponseError, urllib3.exceptions.HTTPError)
# minio's DictType: header values may repeat
Headers = dict[str, str | list[str] | tuple[str]]


class S3Endpoint(Protocol):
    """Where and as whom to connect (``archive.StoreConfig`` is one)."""

    @property
    def netloc(self) -> str: ...
    @property
    def secure(self) -> bool: ...
    @property
    def access_key(self) -> str: ...
    @property
    def secret_key(self) -> str: ...
    @property
    def region(self) -> str: ...


def make_minio_client(endpoint: S3Endpoint, *, timeout_seconds: float, pool_size: int) -> Minio:
    """A minio client for ``endpoint``; TLS is verified against the system trust store (and
    SSL_CERT_FILE), where a court's own CA lives."""
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=timeout_seconds, read=timeout_seconds),
        retries=False,
        maxsize=pool_size,
    )
    return Minio(
        endpoint.netloc,
        access_key=endpoint.access_key,
        secret_key=endpoint.secret_key,
        secure=endpoint.secure,
        region=endpoint.region,
        http_client=http,
    )


def transport_error(exc: Exception, *, service: str, action: str, where: str) -> StoreUnavailableError:
    """The error for a failure that is not an S3 error answer: a server error without an S3 body,
    a response minio could not read, or no answer at all."""
    if isinstance(exc, ServerError | InvalidResponseError):
        return StoreUnavailableError(f"{service} failed {action} {where}: {exc}")
    return StoreUnavailableError(f"{service} unreachable while {action} {where}: {exc}")


DIGEST_CODES = frozenset(
    {"BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch", "XAmzContentSHA256Mismatch"}
)
UNAVAILABLE_CODES = frozenset({"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"})
MISSING_CODES = frozenset({"NoSuchKey", "NoSuchBucket"})


def evidence_store_error(exc: Exception, *, endpoint: str, action: str, where: str) -> ArchiveError:
    """The archive error for a minio/urllib3 failure of the evidence store: refused credentials,
    a rejected checksum, a missing object, an unavailable store, or any other refusal."""
    if isinstance(exc, S3Error):
        code = exc.code or ""
        detail = f"{code}: {exc.message}"
        if code in AUTH_CODES:
            return StoreAuthError(
                f"object store {endpoint} refused {action} {where} ({detail});"
                " check COURTREC_S3_ACCESS_KEY / COURTREC_S3_SECRET_KEY"
            )
        if code in DIGEST_CODES:
            return ChecksumMismatchError(
                f"object store {endpoint} rejected our SHA-256 for {where} ({detail})"
            )
        if code in MISSING_CODES:
            return ObjectNotFoundError(f"{where} not found on {endpoint} ({detail})")
        status = exc.response.status if exc.response is not None else 0
        if code in UNAVAILABLE_CODES or status >= 500:
            return StoreUnavailableError(f"object store {endpoint} failed {action} {where}: {detail}")
        return ArchiveError(f"object store {endpoint} refused {action} {where}: {detail}")
    return transport_error(exc, service=f"object store {endpoint}", action=action, where=where)
