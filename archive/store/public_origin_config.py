"""Where public live files go: the public bucket and the key prefix under it.

Apart from :mod:`archive.store.public_origin` (which publishes through ``minio``) so that settings can
name the public origin without loading the S3 client.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.formats.identifiers import IDENTIFIER
from archive.store.store_config import StoreConfig


@dataclass(frozen=True, slots=True)
class PublicOriginConfig:
    """The public bucket (endpoint, credentials, bucket name) and the key prefix under it.

    ``prefix`` is empty or ``part/part/`` (a trailing ``/`` is added); every published name lands
    under it, and with an anonymous-read policy only objects under it are readable.
    """

    store: StoreConfig
    prefix: str = ""

    def __post_init__(self) -> None:
        prefix = self.prefix.strip("/")
        if prefix:
            check_relative_name(prefix, "prefix")
            object.__setattr__(self, "prefix", f"{prefix}/")

    @property
    def direct_url(self) -> str:
        """Where browsers reach the published files without a CDN: ``endpoint/bucket/prefix``
        (path-style, ends with ``/``)."""
        return f"{self.store.endpoint.rstrip('/')}/{self.store.bucket}/{self.prefix}"


def check_relative_name(name: str, what: str) -> None:
    """Refuse a name under the public prefix that is not relative parts of identifiers joined by '/'
    (no empty, '.', '..' or absolute parts): raises ``ValueError`` naming ``what``."""
    parts = name.split("/")
    if not all(IDENTIFIER.fullmatch(part) for part in parts):  # no "", ".", ".." or absolute names
        raise ValueError(
            f"{what!r} must be relative, parts of [A-Za-z0-9][A-Za-z0-9._-]* joined by '/' (got {name!r})"
        )
