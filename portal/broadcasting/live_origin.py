"""Public live media in the public origin bucket, so a CDN or plain web servers carry the audience.

Glue for the app factory (the composition root): archive's :class:`~archive.PublicOrigin` behind
streaming's ``SegmentPublisher`` seam, and the live settings pointed at it. The portal then serves
the public page only; browsers fetch the playlist and segments from ``public_base_url``
(COURTREC_STREAMING_PUBLIC_BASE_URL, e.g. a CDN; by default the bucket's own URL). Only public
broadcasts ever publish, so nothing of a hearing that is not public reaches the bucket.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from archive import ArchiveError
from archive.settings import ArchiveSettings
from archive.store import ObjectStore, PublicOrigin
from streaming.errors import HlsError
from streaming.public.segment_publisher import SegmentPublisher
from streaming.settings import StreamingSettings


class OriginPublisher:
    """A ``SegmentPublisher`` writing into the public origin bucket; failures become HlsError, which a
    broadcast logs before carrying on with its next segment (and a withdrawal retries until it works)."""

    def __init__(self, origin: PublicOrigin) -> None:
        self._origin = origin

    def put(self, name: str, data: bytes, content_type: str) -> None:
        """Publish ``name`` (replacing it). Raises HlsError."""
        with _as_hls_error("publish", name):
            self._origin.put(name, data, content_type)

    def delete(self, name: str) -> None:
        """Withdraw ``name``. Raises HlsError."""
        with _as_hls_error("withdraw", name):
            self._origin.delete(name)

    def delete_prefix(self, prefix: str) -> None:
        """Withdraw everything under ``prefix``. Raises HlsError."""
        with _as_hls_error("withdraw", f"{prefix}/"):
            self._origin.delete_prefix(prefix)

    def list_names(self, prefix: str = "") -> list[str]:
        """Every published name under ``prefix`` ("" for all), sorted. Raises HlsError."""
        with _as_hls_error("list", f"{prefix}/" if prefix else "the public files"):
            return self._origin.list_names(prefix)


def open_public_origin(archive: ArchiveSettings, store: ObjectStore | None) -> PublicOrigin | None:
    """The public origin of COURTREC_PUBLIC_S3_* (None when unset), its bucket made ready: created
    without Object Lock and, unless COURTREC_PUBLIC_S3_ANONYMOUS_READ=false, readable by anyone.

    Endpoint and keys default to ``store``'s (the evidence store in use, e.g. the embedded one).
    Raises PublicOriginError for an evidence bucket, ArchiveError when the store refuses.
    """
    primary = store.config if store is not None else None
    config = archive.public_origin(primary)
    if config is None:
        return None
    evidence = archive.evidence_buckets() | ({primary.bucket} if primary is not None else set())
    origin = PublicOrigin(config, evidence_buckets=evidence)
    origin.ensure_bucket(anonymous_read=archive.public_s3_anonymous_read)
    return origin


def live_on_origin(
    live: StreamingSettings, origin: PublicOrigin | None
) -> tuple[StreamingSettings, SegmentPublisher | None]:
    """The live settings and segment publisher for ``origin``: unchanged (directory publisher) without
    one; else public pages load media from ``public_base_url``, by default the bucket's own URL."""
    if origin is None:
        return live, None
    base_url = live.public_base_url or origin.config.direct_url
    return live.model_copy(update={"public_base_url": base_url}), OriginPublisher(origin)


@contextmanager
def _as_hls_error(action: str, name: str) -> Iterator[None]:
    try:
        yield
    except (ArchiveError, ValueError) as exc:
        raise HlsError(f"cannot {action} {name} on the public origin: {exc}") from exc
