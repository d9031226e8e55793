"""Health alarms reach the journal within 5 s; a source that drops and comes back leaves a gap record."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from .conftest import journal_events, run_module

pytestmark = pytest.mark.integration


def _alarm_times(events, condition: str) -> list[datetime]:  # type: ignore[no-untyped-def]
    return [
        datetime.fromisoformat(str(e["at"]))
        for e in events
        if e["type"] == "alarm" and e["condition"] == condition and e["active"]
    ]


def test_frozen_black_silent_and_stalled_sources_raise_alarms(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    video = "synthetic#size=320x240&fps=15&audio=0"
    result = run_module(
        "capture",
        [
            "record",
            "--room",
            "court-5",
            "--recording-id",
            "rec-health",
            "--spool",
            str(spool),
            "--duration",
            "14",
            "--segment-seconds",
            "2",
            "--source",
            f"{video}&freeze_after=2&name=frozen",
            "--source",
            f"{video}&black=1&name=black",
            "--source",
            "synthetic#video=0&silence_after=2&name=quiet",
            "--source",
            f"{video}&stall_after=2&stall_for=6&name=stall",
        ],
        None,
    )
    assert result.returncode == 0, result.stderr
    events = journal_events(spool, "rec-health")
    start = datetime.fromisoformat(str(next(e for e in events if e["type"] == "start")["at"]))

    def seconds_after_start(condition: str, stream: str) -> float:
        times = [
            datetime.fromisoformat(str(e["at"]))
            for e in events
            if e["type"] == "alarm" and e["condition"] == condition and e["active"] and e["stream"] == stream
        ]
        assert times, f"no {condition} alarm for {stream}"
        return (times[0] - start).total_seconds()

    assert seconds_after_start("video_frozen", "frozen") <= 2 + 5
    assert seconds_after_start("video_black", "black") <= 5
    assert seconds_after_start("audio_silent", "quiet") <= 2 + 5
    assert seconds_after_start("no_frames", "stall") <= 2 + 5
    gaps = [e for e in events if e["type"] == "gap" and e["stream"] == "stall"]
    assert len(gaps) == 1 and 4 <= float(gaps[0]["seconds"]) <= 8
    # healthy streams raise nothing
    assert not [
        e
        for e in events
        if e["type"] == "alarm" and e["stream"] == "frozen" and e["condition"] != "video_frozen"
    ]
