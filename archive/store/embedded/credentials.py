"""The embedded store's S3 credentials: generated on first start, kept owner-only (0600), reused."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from archive.errors import EmbeddedStoreError

logger = logging.getLogger(__name__)


class StoreCredentials(BaseModel):
    """The contents of credentials.json."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    access_key: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9]+$")
    secret_key: str = Field(min_length=32, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")

    @classmethod
    def generate(cls) -> StoreCredentials:
        return cls(access_key="CR" + secrets.token_hex(9).upper(), secret_key=secrets.token_urlsafe(30))


def load_or_create_credentials(path: Path) -> StoreCredentials:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        credentials = StoreCredentials.generate()
        write_private(path, credentials.model_dump_json(indent=2))
        logger.info("generated new S3 credentials in %s", path)
        return credentials
    if path.stat().st_mode & 0o077:
        logger.warning("%s was readable by others; restricting it to its owner", path)
        path.chmod(0o600)
    try:
        return StoreCredentials.model_validate_json(text)
    except ValidationError as exc:
        raise EmbeddedStoreError(
            f"{path} is not valid ({exc.error_count()} errors: {exc.errors()[0]['msg']});"
            " repair it, or delete it to generate new keys"
        ) from exc


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically with mode 0600."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
