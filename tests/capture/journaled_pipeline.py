"""One camera stream's real pipeline writing to a real spool, upload queue and signed journal, for the
tests that break its source or its journaling and read what was recorded."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from archive.journal import JournalWriter, list_chunks, load_or_create_device_key, read_chain
from archive.spool import RecordingSpool, UploadQueue
from capture.recording.recording_log import RecordingLog
from capture.recording.stream.stream_pipeline import StreamPipeline, StreamSettings
from devices import Source


@dataclass(frozen=True)
class JournaledPipeline:
    spool: RecordingSpool
    journal: JournalWriter
    pipeline: StreamPipeline

    def chain_intact(self) -> bool:
        """Whether the journal's chunks on disk form an intact chain."""
        chunks = list_chunks(self.spool.journal_dir)
        return read_chain([(path.name, path.read_bytes()) for path in chunks]).intact


@contextlib.contextmanager
def journaled_pipeline(
    tmp_path: Path,
    recording_id: str,
    open_source: Callable[[], Source],
    *,
    log_type: type[RecordingLog] = RecordingLog,
) -> Iterator[JournaledPipeline]:
    """The stream "cam" of ``recording_id`` (2-s segments, not started) recording what
    ``open_source`` opens (called again for each reopen), journaled through ``log_type``; the queue
    and the journal are closed when the block ends."""
    spool = RecordingSpool(tmp_path, recording_id)
    key = load_or_create_device_key(tmp_path / "key.pem")
    with (
        UploadQueue(tmp_path / "q.sqlite") as queue,
        JournalWriter.open(spool.journal_dir, recording_id, key) as journal,
    ):
        log = log_type(spool, journal, queue, object_prefix="p", run=1, streams={})
        pipeline = StreamPipeline(
            "cam",
            open_source,
            spool.stream_dir,
            log,
            first_seq={},
            settings=StreamSettings(segment_seconds=2),
        )
        yield JournaledPipeline(spool, journal, pipeline)
