"""The public live origin: a bucket (never an evidence bucket) that a CDN or browsers read anonymously.

Public live HLS (playlist, init and media segments, status) is written here so that a CDN or plain
web servers carry the audience, not the portal. Unlike :class:`archive.store.object_store.ObjectStore`,
whose evidence keys are written once and never overwritten, objects here are replaced in place:
the live playlist changes with every segment. That is why this is its own bucket, its own client,
and refuses to be pointed at an evidence bucket (by name, and by S3 Object Lock, which every
evidence bucket of ours has and a public origin must not).

:class:`PublicOrigin` has the ``put`` / ``delete`` / ``delete_prefix`` / ``list_names`` methods of
streaming's ``SegmentPublisher`` seam (this package does not import ``streaming``; the composition root joins
the two). Every method blocks; a broadcast calls them from its own thread.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
from collections.abc import Collection
from contextlib import AbstractContextManager

from minio.error import S3Error

from archive.errors import PublicOriginError
from archive.store.public_origin_config import PublicOriginConfig, check_relative_name
from archive.store.s3_client import (
    BUCKET_EXISTS_CODES,
    Headers,
    make_minio_client,
    s3_failure,
    translated,
)

logger = logging.getLogger(__name__)

# Playlists and status change with every segment: a CDN may collapse requests for a second, no longer.
CHANGING_CACHE_CONTROL = "public, max-age=1"
# A segment's bytes never change under its name within a broadcast; an hour is far longer than any
# segment stays in a live playlist, so a CDN fetches each one from the origin once.
IMMUTABLE_CACHE_CONTROL = "public, max-age=3600, immutable"
IMMUTABLE_CONTENT_TYPES = frozenset({"video/mp4", "video/iso.segment", "audio/mp4", "video/mp2t"})

_NO_LOCK_CODES = frozenset({"ObjectLockConfigurationNotFoundError", "NoSuchObjectLockConfiguration"})
_MISSING_CODES = frozenset({"NoSuchKey"})


class PublicOrigin:
    """Publishes public live files into the public bucket: replaceable PUTs with HLS caching headers.

    Raises PublicOriginError at construction when the bucket is one of ``evidence_buckets``. The HTTP
    pool has ``timeout_seconds`` timeouts and no retries: a broadcast thread must not hang on a dead
    store (its next segment tries again).
    """

    def __init__(
        self, config: PublicOriginConfig, *, evidence_buckets: Collection[str], timeout_seconds: float = 5.0
    ) -> None:
        if timeout_seconds <= 0:
            raise ValueError(f"'timeout_seconds' must be > 0 (got {timeout_seconds})")
        if config.store.bucket in evidence_buckets:
            raise PublicOriginError(
                f"the public live origin must not be the evidence bucket {config.store.bucket!r}: its objects"
                " are replaced and deleted and it is readable by anyone; configure a separate bucket"
                " (COURTREC_PUBLIC_S3_BUCKET)"
            )
        self._config = config
        self._client = make_minio_client(config.store, timeout_seconds=timeout_seconds, pool_size=4)

    @property
    def config(self) -> PublicOriginConfig:
        """The configuration this origin was built with."""
        return self._config

    def ensure_bucket(self, *, anonymous_read: bool = True) -> None:
        """Create the public bucket (without Object Lock) unless it exists; idempotent.

        With ``anonymous_read`` the bucket policy is set to let anyone GET objects under the prefix
        (not list them, not write them); it replaces any earlier policy of the bucket. Raises
        PublicOriginError when the bucket has S3 Object Lock (an evidence bucket, never public),
        StoreAuthError / StoreUnavailableError / PublicOriginError when the store refuses.
        """
        bucket = self._config.store.bucket
        with self._boundary("creating bucket", ""):
            if not self._client.bucket_exists(bucket):
                try:
                    self._client.make_bucket(bucket)
                    logger.info("created public bucket %s on %s", bucket, self._config.store.endpoint)
                except S3Error as exc:
                    if exc.code not in BUCKET_EXISTS_CODES:
                        raise
            self._refuse_object_lock()
        if anonymous_read:
            with self._boundary("setting the anonymous-read policy of", ""):
                self._client.set_bucket_policy(bucket, json.dumps(self._anonymous_read_policy()))

    def put(self, name: str, data: bytes, content_type: str) -> None:
        """Make ``data`` public under ``name`` (``room/stream/file``), replacing any earlier object.

        One PUT (atomic for readers) carrying the SHA-256 the store verifies, the content type and a
        Cache-Control fit for HLS: media and init segments immutable, anything else ``max-age=1``.
        Raises ValueError for a malformed name, StoreAuthError / StoreUnavailableError /
        PublicOriginError when the store refuses.
        """
        key = self._key(name)
        checksum = base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")
        headers: Headers = {
            "Cache-Control": cache_control_for(content_type),
            "x-amz-checksum-sha256": checksum,
        }
        with self._boundary("publishing", key):
            self._client.put_object(
                self._config.store.bucket,
                key,
                io.BytesIO(data),
                len(data),
                content_type=content_type,
                metadata=headers,  # standard and x-amz-* headers go out as they are, not as x-amz-meta-*
            )

    def delete(self, name: str) -> None:
        """Withdraw ``name``; no error when it is already gone. Raises as :meth:`put`."""
        key = self._key(name)
        with self._boundary("withdrawing", key):
            try:
                self._client.remove_object(self._config.store.bucket, key)
            except S3Error as exc:
                if exc.code not in _MISSING_CODES:  # S3 answers 204 for a missing key; some stores 404
                    raise

    def delete_prefix(self, prefix: str) -> None:
        """Withdraw every object under the directory ``prefix`` (e.g. ``room/stream/broadcast``).
        Raises as :meth:`put` (some objects may then be gone, others not: call again); ValueError for
        an empty prefix (the whole origin is never withdrawn at once)."""
        directory = self._key(prefix.strip("/")) + "/"
        bucket = self._config.store.bucket
        with self._boundary("withdrawing", directory):
            keys = self._keys_under(directory)
            for key in keys:
                self._client.remove_object(bucket, key)
        logger.info("withdrew %d public objects under %s/%s", len(keys), bucket, directory)

    def list_names(self, prefix: str = "") -> list[str]:
        """The names (as given to :meth:`put`) of every object under the directory ``prefix``, or of the
        whole origin for ``""``, sorted: what is public now, e.g. to withdraw leftovers at start-up.
        Raises as :meth:`put`; ValueError for a malformed prefix."""
        relative = prefix.strip("/")
        directory = self._key(relative) + "/" if relative else self._config.prefix
        with self._boundary("listing", directory):
            keys = self._keys_under(directory)
        return sorted(key.removeprefix(self._config.prefix) for key in keys)

    # -- internals ---------------------------------------------------------------------------------

    def _key(self, name: str) -> str:
        check_relative_name(name, "name")
        return self._config.prefix + name

    def _keys_under(self, directory: str) -> list[str]:
        listing = self._client.list_objects(
            self._config.store.bucket, prefix=directory or None, recursive=True
        )
        return [item.object_name for item in listing if item.object_name and not item.is_dir]

    def _anonymous_read_policy(self) -> dict[str, object]:
        bucket = self._config.store.bucket
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CourtrecPublicLiveRead",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": ["s3:GetObject"],
                    "Resource": [f"arn:aws:s3:::{bucket}/{self._config.prefix}*"],
                }
            ],
        }

    def _refuse_object_lock(self) -> None:
        bucket = self._config.store.bucket
        try:
            self._client.get_object_lock_config(bucket)
        except S3Error as exc:
            if exc.code in _NO_LOCK_CODES:
                return
            raise
        raise PublicOriginError(
            f"bucket {bucket} has S3 Object Lock, as evidence buckets do; the public live origin must be"
            " a separate bucket without it"
        )

    def _boundary(self, action: str, key: str) -> AbstractContextManager[None]:
        return translated(
            lambda exc: s3_failure(
                exc,
                service=f"public origin {self._config.store.endpoint}",
                action=action,
                where=f"{self._config.store.bucket}/{key}",
                auth_hint="check the public origin's credentials and that they may write (and set the"
                " policy of) the bucket",
                refused=PublicOriginError,
            )
        )


def cache_control_for(content_type: str) -> str:
    """The Cache-Control a public file of ``content_type`` is published with."""
    if content_type.split(";", maxsplit=1)[0].strip().lower() in IMMUTABLE_CONTENT_TYPES:
        return IMMUTABLE_CACHE_CONTROL
    return CHANGING_CACHE_CONTROL
