"""Putting failed uploads back in the queue: a person's decision, so every entry is printed and logged.

An entry fails (``conflict``, ``corrupt``) only when something needs a person; after they fixed the
cause (the link, the store, a key written by someone else) they requeue it. Nothing is abandoned or
deleted here: the local file stayed on the spool all along.
"""

from __future__ import annotations

import logging
from typing import TextIO

from archive.spool.upload_queue import UploadItem, UploadQueue

logger = logging.getLogger(__name__)


def requeue_failed_entries(
    queue: UploadQueue, *, recording_id: str | None = None, out: TextIO | None = None
) -> list[UploadItem]:
    """Requeue every ``conflict``/``corrupt`` entry (of one recording, or all), print one line per
    entry (state, key, the error it failed with) to ``out`` and log it; returns the entries."""
    failed = {item.id: (state, error) for item, state, error in queue.failed(recording_id)}
    requeued = queue.requeue_failed(recording_id)
    for item in requeued:
        state, error = failed.get(item.id, ("failed", ""))
        line = f"requeued {state} {item.object_key} ({item.local_path}); it had failed with: {error}"
        logger.warning("%s", line)
        if out is not None:
            print(line, file=out)
    if out is not None:
        print(f"{len(requeued)} failed uploads requeued", file=out)
    return requeued
