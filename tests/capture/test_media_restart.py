"""A stream whose media work fails is journaled, salvaged and restarted: recording goes on."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from archive.spool import SealedFile
from capture.recording.recording_log import RecordingLog
from capture.recording.stream.segmenter import SegmentInfo
from devices import Source, open_source, parse_source_spec
from tests.waiting import wait_until

from .journaled_pipeline import journaled_pipeline

pytestmark = pytest.mark.integration


class _LogWithOneDiskError(RecordingLog):
    """The real recording log, whose second segment hits a full disk while being journaled."""

    calls = 0

    def segment_sealed(
        self, stream: str, sealed: SealedFile, info: SegmentInfo, start_utc: datetime, end_utc: datetime
    ) -> None:
        self.calls += 1
        if self.calls == 2:
            raise OSError(28, "No space left on device")
        super().segment_sealed(stream, sealed, info, start_utc, end_utc)


def _camera() -> Source:
    return open_source(parse_source_spec("synthetic#size=320x240&fps=15&audio=0"))


def test_failed_media_worker_is_journaled_salvaged_and_restarted(tmp_path: Path) -> None:
    with journaled_pipeline(tmp_path, "rec-restart", _camera, log_type=_LogWithOneDiskError) as recording:
        pipeline, journal = recording.pipeline, recording.journal
        pipeline.start()
        wait_until(
            lambda: sum(1 for line in journal.history if line.type == "segment") >= 4,
            60,
            "four journaled segments, the failure among them",
        )
        pipeline.stop()
        lines = journal.history
    assert recording.chain_intact()
    failures = [
        line.fields
        for line in lines
        if line.type == "alarm" and line.fields["condition"] == "recording_failed"
    ]
    assert len(failures) == 1 and "No space left on device" in failures[0]["detail"]
    segments = [line.fields for line in lines if line.type == "segment"]
    numbers = [s["segment"] for s in segments]
    assert numbers == list(range(1, len(numbers) + 1))  # nothing skipped, nothing twice
    assert segments[1]["flags"] == ["recovered"]  # sealed before the error, journaled after it
    assert len(segments) >= 4  # recording went on after the failure
    on_disk = sorted(p.name for p in recording.spool.stream_dir("cam").glob("*.m4s"))
    assert on_disk == [f"{n:08d}.m4s" for n in numbers]
    assert pipeline.failure is not None
