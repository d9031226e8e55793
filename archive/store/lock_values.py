"""The values of S3 Object Lock: retention modes, an object version's retention, a version listing's entry.

Apart from :mod:`archive.store.object_lock` (which talks to the store through ``minio``) so that
retention policy and settings can name a mode without loading the S3 client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class LockMode(StrEnum):
    """S3 Object Lock retention modes. Evidence uses COMPLIANCE, which nobody can shorten or bypass."""

    COMPLIANCE = "COMPLIANCE"
    GOVERNANCE = "GOVERNANCE"


@dataclass(frozen=True, slots=True)
class ObjectRetention:
    """The retention a store reports for one object version."""

    mode: LockMode
    retain_until: datetime


@dataclass(frozen=True, slots=True)
class ObjectVersion:
    """One version (or delete marker) of an object, as a version listing reports it."""

    key: str
    version_id: str | None
    is_delete_marker: bool
    is_latest: bool
    size: int
