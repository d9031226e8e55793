"""A background thread that reconciles the recordings index with the bucket every N seconds."""

from __future__ import annotations

import logging
import threading

from archive.progress import ProgressCallback
from portal.db import transaction
from portal.errors import PortalError, StoreError
from portal.records.recordings_index import complete_in_bucket, reconcile, scan_bucket
from portal.web.context import PortalContext

logger = logging.getLogger(__name__)


def reconcile_now(
    context: PortalContext, actor: str, on_progress: ProgressCallback | None = None
) -> dict[str, int]:
    """Scan the bucket and apply it to the index (blocking; ``on_progress(done, total)`` counts the
    recordings scanned). StoreError without a store."""
    if context.store is None:
        raise StoreError("no recording archive is configured")
    with transaction(context.sessions) as db:
        skip = complete_in_bucket(db)
    scanned = scan_bucket(context.store, skip=skip, on_progress=on_progress)
    with transaction(context.sessions) as db:
        return reconcile(db, scanned, now=context.clock.now(), actor=actor)


class PeriodicReconciler:
    """Runs ``reconcile_now`` every ``interval`` seconds until stopped; a context manager."""

    def __init__(self, context: PortalContext, interval: float) -> None:
        if interval <= 0:
            raise ValueError(f"'interval' must be > 0 (got {interval})")
        self._context = context
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="portal-reconciler", daemon=True)

    def __enter__(self) -> PeriodicReconciler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            try:
                counts = reconcile_now(self._context, "portal:reconciler")
                logger.info("reconciled the recordings index: %s", counts)
            except PortalError as exc:
                logger.warning("reconciliation failed: %s", exc)
            except Exception:  # supervisor top level: log and keep the loop alive
                logger.exception("reconciliation crashed; retrying in %.0f s", self._interval)
            if self._stop.wait(self._interval):
                return
