"""Where and how to reach one bucket of an S3 service (endpoint, credentials, bucket, region)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from archive.store.bucket_name import bucket_name_problem


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
        problem = bucket_name_problem(self.bucket)
        if problem is not None:
            raise ValueError(f"'bucket' {problem} (got {self.bucket!r})")

    @property
    def secure(self) -> bool:
        """True when the endpoint is https."""
        return urlsplit(self.endpoint).scheme == "https"

    @property
    def netloc(self) -> str:
        """``host:port`` of the endpoint, as the SDK wants it."""
        return urlsplit(self.endpoint).netloc
