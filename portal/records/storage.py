"""Which recording archive the portal reads: the configured S3 store, or the embedded one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from archive.settings import ArchiveSettings
from archive.store import ObjectStore
from archive.store.embedded import EmbeddedStore
from portal.settings import PortalSettings


@contextmanager
def archive_store(settings: PortalSettings, archive: ArchiveSettings) -> Iterator[ObjectStore]:
    """The store of COURTREC_S3_* when configured; otherwise an embedded SeaweedFS server started in
    ``data_dir/store`` on COURTREC_PORTAL_EMBEDDED_S3_PORT for as long as the context lasts.

    Raises ArchiveError when the configuration is incomplete or the embedded store cannot start.
    """
    config = archive.primary_store()
    if config is not None:
        yield ObjectStore(config)
        return
    embedded_store = EmbeddedStore(
        settings.data_dir / "store",
        port=settings.portal_embedded_s3_port,
        start_seconds=archive.store_start_seconds,
    )
    with embedded_store as embedded:
        yield ObjectStore(embedded.config)
