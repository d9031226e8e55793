"""The archive's sites: the primary store and its backup, each an ObjectStore with a name."""

from __future__ import annotations

from dataclasses import dataclass

from archive.store.object_store import ObjectStore


@dataclass(frozen=True, slots=True)
class Site:
    """One copy of the archive: ``name`` ("primary", "backup") and the bucket that holds it."""

    name: str
    store: ObjectStore

    def __str__(self) -> str:
        config = self.store.config
        return f"{self.name} ({config.endpoint}/{config.bucket})"
