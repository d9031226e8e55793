"""The archive's settings, from COURTREC_* environment variables (built on demand, never at import)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from archive.errors import ArchiveError
from archive.object_store import StoreConfig
from archive.retention_policy import DEFAULT_POLICIES


class ArchiveSettings(BaseSettings):
    """Where the archive lives. Without COURTREC_S3_ENDPOINT the embedded SeaweedFS store is used."""

    model_config = SettingsConfigDict(env_prefix="COURTREC_", extra="ignore")

    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    s3_bucket: str = "courtrec"
    s3_region: str = "us-east-1"

    backup_s3_endpoint: str | None = None
    backup_s3_access_key: str | None = None
    backup_s3_secret_key: SecretStr | None = None
    backup_s3_bucket: str = "courtrec-backup"

    # {case type: years, or null for permanent}, e.g. '{"long-term": 30, "permanent": null}'
    retention_policies: dict[str, int | None] = Field(default_factory=lambda: dict(DEFAULT_POLICIES))
    storage_quota_bytes: int | None = Field(default=None, gt=0)  # primary bucket; alarm at 90 %
    backup_storage_quota_bytes: int | None = Field(default=None, gt=0)

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
