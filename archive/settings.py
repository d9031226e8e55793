"""The archive's settings, from COURTREC_* environment variables (built on demand, never at import)."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from archive.errors import ArchiveError, PublicOriginError
from archive.retention.policy import DEFAULT_POLICIES
from archive.store.bucket_name import bucket_name_problem
from archive.store.embedded.readiness import DEFAULT_START_SECONDS
from archive.store.public_origin_config import PublicOriginConfig
from archive.store.store_config import StoreConfig


class ArchiveSettings(BaseSettings):
    """Where the archive lives. Without COURTREC_S3_ENDPOINT the embedded SeaweedFS store is used."""

    model_config = SettingsConfigDict(env_prefix="COURTREC_", extra="ignore")

    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    s3_bucket: str = "courtrec"
    s3_region: str = Field(default="us-east-1", pattern=r"^[a-z0-9-]{1,32}$")

    backup_s3_endpoint: str | None = None
    backup_s3_access_key: str | None = None
    backup_s3_secret_key: SecretStr | None = None
    backup_s3_bucket: str = "courtrec-backup"

    # Public live HLS goes to a bucket of its own (a CDN origin), never to an evidence bucket. Unset
    # bucket: public live stays in the live server's directory. Endpoint and keys default to the
    # primary store's; the browsers' URL is COURTREC_STREAMING_PUBLIC_BASE_URL (default: the bucket's
    # own path-style URL).
    public_s3_bucket: str | None = None
    public_s3_prefix: str = ""
    public_s3_endpoint: str | None = None
    public_s3_access_key: str | None = None
    public_s3_secret_key: SecretStr | None = None
    public_s3_anonymous_read: bool = Field(
        default=True,
        description="set the bucket policy so anyone may GET the public objects; false when a CDN reads "
        "the bucket with its own credentials or the policy is managed elsewhere",
    )

    # {case type: years, or null for permanent}, e.g. '{"long-term": 30, "permanent": null}'
    retention_policies: dict[str, int | None] = Field(default_factory=lambda: dict(DEFAULT_POLICIES))
    # what `archive verify` trusts from outside a recording (see archive.verify_command)
    portal_url: str | None = None
    portal_verify_token: SecretStr | None = None
    portal_public_key: str | None = None
    storage_quota_bytes: int | None = Field(default=None, gt=0)  # primary bucket; alarm at 90 %
    backup_storage_quota_bytes: int | None = Field(default=None, gt=0)
    # how long the uploader retries an object whose bytes the store keeps seeing corrupted
    upload_mismatch_window_hours: float = Field(default=6.0, gt=0, le=24 * 30)
    store_start_seconds: float = Field(
        default=DEFAULT_START_SECONDS,
        ge=0.1,
        le=3600.0,
        description="how long the embedded store may take to answer S3 when it starts (python -m "
        "archive store, the portal's embedded store, make run); a loaded machine needs more than idle",
    )

    @field_validator("s3_bucket", "backup_s3_bucket", "public_s3_bucket")
    @classmethod
    def _check_bucket(cls, name: str | None) -> str | None:
        if name is not None and name != "":
            problem = bucket_name_problem(name)
            if problem is not None:
                raise ValueError(f"an S3 bucket name {problem} (got {name!r})")
        return name

    @field_validator("s3_endpoint", "backup_s3_endpoint", "public_s3_endpoint")
    @classmethod
    def _check_endpoint(cls, endpoint: str | None) -> str | None:
        if endpoint:
            problem = endpoint_problem(endpoint)
            if problem is not None:
                raise ValueError(f"an S3 endpoint {problem} (got {endpoint!r})")
        return endpoint

    def upload_mismatch_window_seconds(self) -> float:
        """COURTREC_UPLOAD_MISMATCH_WINDOW_HOURS in seconds."""
        return self.upload_mismatch_window_hours * 3600.0

    def primary_store(self) -> StoreConfig | None:
        """The configured primary store, or None when COURTREC_S3_ENDPOINT is unset.

        Raises ArchiveError when the endpoint is set but its credentials are not.
        """
        return _store_config(
            "COURTREC_S3",
            endpoint=self.s3_endpoint,
            access_key=self.s3_access_key,
            secret_key=self.s3_secret_key,
            bucket=self.s3_bucket,
            region=self.s3_region,
        )

    def backup_store(self) -> StoreConfig | None:
        """The configured backup store, or None when COURTREC_BACKUP_S3_ENDPOINT is unset."""
        return _store_config(
            "COURTREC_BACKUP_S3",
            endpoint=self.backup_s3_endpoint,
            access_key=self.backup_s3_access_key,
            secret_key=self.backup_s3_secret_key,
            bucket=self.backup_s3_bucket,
            region=self.s3_region,
        )

    def evidence_buckets(self) -> frozenset[str]:
        """Names of the buckets that hold evidence (primary and backup): never a public origin."""
        return frozenset({self.s3_bucket, self.backup_s3_bucket})

    def public_origin(self, primary: StoreConfig | None) -> PublicOriginConfig | None:
        """The public live origin, or None when COURTREC_PUBLIC_S3_BUCKET is unset.

        Without COURTREC_PUBLIC_S3_ENDPOINT the endpoint and keys are ``primary``'s (the evidence
        store in use, e.g. the embedded one): a separate bucket on the same service. Raises
        PublicOriginError when the bucket is an evidence bucket (``primary``'s or one of
        :meth:`evidence_buckets`), ArchiveError when no endpoint is known or keys are missing.
        """
        bucket = self.public_s3_bucket
        if not bucket:
            return None
        evidence = self.evidence_buckets() | ({primary.bucket} if primary is not None else set())
        if bucket in evidence:
            raise PublicOriginError(
                f"COURTREC_PUBLIC_S3_BUCKET={bucket} is an evidence bucket; public live needs a bucket"
                " of its own (its objects are replaced, deleted and readable by anyone)"
            )
        store = _store_config(
            "COURTREC_PUBLIC_S3",
            endpoint=self.public_s3_endpoint,
            access_key=self.public_s3_access_key,
            secret_key=self.public_s3_secret_key,
            bucket=bucket,
            region=self.s3_region,
        )
        if store is None:
            if primary is None:
                raise ArchiveError(
                    "COURTREC_PUBLIC_S3_BUCKET is set but neither COURTREC_PUBLIC_S3_ENDPOINT nor a primary"
                    " store is configured"
                )
            store = dataclasses.replace(primary, bucket=bucket)
        try:
            return PublicOriginConfig(store, prefix=self.public_s3_prefix)
        except ValueError as exc:
            raise ArchiveError(f"COURTREC_PUBLIC_S3_PREFIX: {exc}") from exc


def endpoint_problem(endpoint: str) -> str | None:
    """Why ``endpoint`` is not ``http(s)://host[:port]`` (or ``host:port``, taken as http), or None."""
    parts = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        return "needs a port in 1..65535"
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname or parts.username is not None:
        return "must name a host (and no user)"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "is http(s)://host[:port] only, without a path"
    return None


def _store_config(
    prefix: str,
    *,
    endpoint: str | None,
    access_key: str | None,
    secret_key: SecretStr | None,
    bucket: str,
    region: str,
) -> StoreConfig | None:
    if not endpoint:
        return None
    if not access_key or secret_key is None:
        raise ArchiveError(
            f"{prefix}_ENDPOINT is set, so {prefix}_ACCESS_KEY and {prefix}_SECRET_KEY must be too"
        )
    if "://" not in endpoint:
        endpoint = f"http://{endpoint}"
    return StoreConfig(
        endpoint=endpoint,
        access_key=access_key,
        secret_key=secret_key.get_secret_value(),
        bucket=bucket,
        region=region,
    )
