"""The archive's sites: the primary store and its backup, each an ObjectStore with a name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from archive.errors import ArchiveError

if TYPE_CHECKING:
    from archive.store.object_store import ObjectStore


@dataclass(frozen=True, slots=True)
class Site:
    """One copy of the archive: ``name`` ("primary", "backup") and the bucket that holds it."""

    name: str
    store: ObjectStore

    def __str__(self) -> str:
        config = self.store.config
        return f"{self.name} ({config.endpoint}/{config.bucket})"


_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def server_of(site: Site) -> tuple[str, str, int]:
    """(scheme, host, port) of the site's S3 server, with loopback names made one."""
    parts = urlsplit(site.store.config.endpoint)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, "loopback" if host in _LOOPBACK_NAMES else host, port


def require_second_site(primary: Site, backup: Site) -> None:
    """Refuse a backup on the primary's own server (any bucket): one disk failure would take both.

    Raises ArchiveError naming both.
    """
    if server_of(primary) == server_of(backup):
        raise ArchiveError(
            f"the backup site {backup} is on the same S3 server as the primary {primary}: a backup must be "
            "a second store (COURTREC_BACKUP_S3_ENDPOINT pointing at another server)"
        )
