"""Setting a recording up on its spool: the spool checked writable, the descriptor and locator
written (once, durably, finishing a write a crash cut short), the journal opened with the upload
queue the recording's objects go through, and the uploader a recording runs itself (when it has a
store and no shared uploader), whose alarms it journals."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from archive import ArchiveError
from archive.formats import durable_temporary, finish_interrupted_link, sha256_bytes, write_file_durably
from archive.journal import AlarmEvent, JournalWriter, load_or_create_device_key
from archive.spool import (
    RecordingSpool,
    Uploader,
    UploadItem,
    UploadQueue,
    device_key_path,
    locator_body,
    locator_key,
    queue_path,
    recording_prefix,
)
from capture.errors import RecorderError
from capture.recording.recording_log import RecordingLog
from capture.recording.recording_plan import RecordingPlan
from capture.recovery.recovery import RecordingHistory
from timebase import Clock

if TYPE_CHECKING:
    from archive.store import ObjectStore


@dataclass(frozen=True, slots=True)
class OpenedLog:
    """A recording's journal and queue, opened: the log, what the journal says of earlier runs,
    the device's public key (base64) and the upload queue."""

    log: RecordingLog
    history: RecordingHistory
    public_key_b64: str
    queue: UploadQueue


def prepare_spool(spool: RecordingSpool, plan: RecordingPlan, clock: Clock) -> None:
    """Check the spool is writable and write the recording's descriptor and locator if missing.
    Raises RecorderError naming the spool when it cannot be written."""
    try:
        spool.journal_dir.mkdir(parents=True, exist_ok=True)
        probe = spool.root / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise RecorderError(f"spool {plan.spool} is not writable: {exc.strerror or exc}") from exc
    for written in (spool.descriptor_path, spool.locator_path):
        finish_interrupted_link(durable_temporary(written), written)  # a crash cut its write short
    if not spool.descriptor_path.exists():
        started: datetime = clock.now()
        prefix = recording_prefix(plan.court, started, plan.recording_id)
        descriptor = {
            "recording_id": plan.recording_id,
            "prefix": prefix,
            "started": started.isoformat(),
        }
        write_file_durably(spool.descriptor_path, json.dumps(descriptor, sort_keys=True).encode())
    if not spool.locator_path.exists():
        body = locator_body(plan.recording_id, read_descriptor(spool)["prefix"])
        write_file_durably(spool.locator_path, body)


def read_descriptor(spool: RecordingSpool) -> dict[str, str]:
    """The recording's descriptor (its id, object prefix and first start)."""
    data: dict[str, str] = json.loads(spool.descriptor_path.read_text())
    return data


def open_recording_log(
    spool: RecordingSpool, plan: RecordingPlan, clock: Clock, on_chunk_closed: Callable[[Path], None]
) -> OpenedLog:
    """Open the device key, the upload queue and the journal (``on_chunk_closed`` is called with
    each journal chunk a checkpoint closes), and queue the locator. Raises RecorderError (key,
    journal)."""
    try:
        key = load_or_create_device_key(plan.key_path or device_key_path(plan.spool))
    except ArchiveError as exc:
        raise RecorderError(str(exc)) from exc
    queue = UploadQueue(queue_path(plan.spool), clock=clock)
    try:
        journal = JournalWriter.open(
            spool.journal_dir, plan.recording_id, key, on_chunk_closed=on_chunk_closed
        )
    except ArchiveError as exc:
        queue.close()
        raise RecorderError(str(exc)) from exc
    history = RecordingHistory.from_lines(journal.history)
    log = RecordingLog(
        spool,
        journal,
        queue,
        object_prefix=read_descriptor(spool)["prefix"],
        run=history.runs + 1,
        streams=history.streams,
    )
    queue.enqueue(
        object_key=locator_key(plan.recording_id),
        local_path=spool.locator_path,
        sha256=sha256_bytes(spool.locator_path.read_bytes()),
        size=spool.locator_path.stat().st_size,
        recording_id=plan.recording_id,
        delete_after_upload=False,
    )
    return OpenedLog(log=log, history=history, public_key_b64=key.public_key_b64, queue=queue)


def start_recording_uploader(
    queue: UploadQueue, store: ObjectStore, log: RecordingLog, *, mismatch_window_seconds: float
) -> Uploader:
    """Start an uploader of ``queue`` into ``store`` whose alarms are journaled in ``log``."""

    def alarm(item: UploadItem, message: str) -> None:
        log.journal.append(
            AlarmEvent(condition="integrity", active=True, object=item.object_key, detail=message)
        )

    def mismatch(item: UploadItem, active: bool, message: str) -> None:
        log.journal.append(
            AlarmEvent(condition="upload_mismatch", active=active, object=item.object_key, detail=message)
        )

    uploader = Uploader(
        queue,
        store,
        on_integrity_alarm=alarm,
        on_mismatch_alarm=mismatch,
        mismatch_window_seconds=mismatch_window_seconds,
    )
    uploader.start()
    return uploader
