"""What every minio-backed adapter of the archive shares: building the client and naming failures.

The evidence store (``object_store``) and the public live origin (``public_origin``) talk to S3 with
their own credentials and rules, but build their clients and translate minio's exceptions the same
way: a bounded pool, explicit timeouts, no urllib3 retries (callers own their retry policy), and an
ArchiveError subclass whose message names the endpoint, the action and the object.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError
from urllib3.connection import HTTPConnection

from archive.errors import (
    ArchiveError,
    ChecksumMismatchError,
    ObjectNotFoundError,
    StoreAuthError,
    StoreUnavailableError,
)

AUTH_CODES = frozenset({"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"})
BUCKET_EXISTS_CODES = frozenset({"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})
_SO_MAX_PACING_RATE = getattr(socket, "SO_MAX_PACING_RATE", 47)  # Linux; 47 where Python lacks the name

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


def make_minio_client(
    endpoint: S3Endpoint,
    *,
    timeout_seconds: float,
    pool_size: int,
    pacing_bytes_per_second: int | None = None,
) -> Minio:
    """A minio client for ``endpoint``; TLS is verified against the system trust store (and
    SSL_CERT_FILE), where a court's own CA lives. With ``pacing_bytes_per_second`` the kernel paces
    each connection's sending at that rate (SO_MAX_PACING_RATE), so a PUT does not burst at the
    link's full rate and fill its queue (a live stream sharing the link would lose packets)."""
    options = list(HTTPConnection.default_socket_options)
    if pacing_bytes_per_second is not None:
        options.append((socket.SOL_SOCKET, _SO_MAX_PACING_RATE, pacing_bytes_per_second))
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=timeout_seconds, read=timeout_seconds),
        retries=False,
        maxsize=pool_size,
        socket_options=options,
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


def s3_failure(
    exc: Exception,
    *,
    service: str,
    action: str,
    where: str,
    auth_hint: str,
    refused: type[ArchiveError] = ArchiveError,
) -> ArchiveError:
    """The archive error for a minio/urllib3 failure, by one table for every adapter: refused
    credentials (StoreAuthError, with ``auth_hint``), a rejected checksum (ChecksumMismatchError), a
    missing object (ObjectNotFoundError), a store that failed or is unreachable
    (StoreUnavailableError), or any other refusal (``refused``). Messages name ``service``, the action
    and the object."""
    if not isinstance(exc, S3Error):
        return transport_error(exc, service=service, action=action, where=where)
    code = exc.code or ""
    detail = f"{code}: {exc.message}"
    status = exc.response.status if exc.response is not None else 0
    if code in AUTH_CODES:
        return StoreAuthError(f"{service} refused {action} {where} ({detail}); {auth_hint}")
    if code in DIGEST_CODES:
        return ChecksumMismatchError(f"{service} rejected our SHA-256 for {where} ({detail})")
    if code in MISSING_CODES:
        return ObjectNotFoundError(f"{where} not found on {service} ({detail})")
    if code in UNAVAILABLE_CODES or status >= 500:
        return StoreUnavailableError(f"{service} failed {action} {where}: {detail}")
    return refused(f"{service} refused {action} {where}: {detail}")


@contextmanager
def translated(to_archive_error: Callable[[Exception], ArchiveError]) -> Iterator[None]:
    """Re-raise every minio/urllib3 exception raised inside as ``to_archive_error(exc)``."""
    try:
        yield
    except MINIO_ERRORS as exc:
        raise to_archive_error(exc) from exc
