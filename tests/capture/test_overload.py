"""A stream that cannot keep up with real time raises the PIPELINE_BEHIND alarm at once, and every
video frame the recording lacks (dropped by the source, or too late to encode) is journaled as a gap
with its count. Unit tests drive the watch with explicit times; the integration tests run a real
pipeline (real synthetic source, real x264) with an encoder made slow, or a source that drops frames."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import av
import pytest

from archive.spool import SealedFile
from capture.recording.stream import media_worker
from capture.recording.stream.overload import OverloadThresholds, OverloadWatch
from capture.recording.stream.segmenter import SegmentInfo
from capture.recording.stream.stream_pipeline import StreamPipeline, StreamSettings
from devices import HealthCondition, Source, open_source, parse_source_spec

FPS = 15
SMALL = f"synthetic#size=320x240&fps={FPS}&audio=0"


@dataclass
class _Report:
    behind_calls: list[tuple[bool, float]] = field(default_factory=list)
    losses: list[tuple[int, float, float, str]] = field(default_factory=list)

    def behind(self, active: bool, lag_seconds: float, queued: int) -> None:
        self.behind_calls.append((active, lag_seconds))

    def frames_lost(self, count: int, start_seconds: float, end_seconds: float, reason: str) -> None:
        self.losses.append((count, start_seconds, end_seconds, reason))


# -- the watch, with explicit times ----------------------------------------------------------------------


def test_frames_on_time_or_faster_than_real_time_raise_nothing() -> None:
    report = _Report()
    watch = OverloadWatch(report)
    for index in range(300):  # 20 s on time, with a little jitter
        watch.frame(index / FPS, 100 + index / FPS + (0.02 if index % 7 == 0 else 0), queued=1)
    for index in range(300, 3000):  # a file read at once: far ahead of real time
        watch.frame(index / FPS, 120 + (index - 300) / 1000, queued=64)
    assert report.behind_calls == [] and not watch.is_behind


def test_the_alarm_rises_on_the_first_frame_over_a_second_late_and_clears_when_caught_up() -> None:
    report = _Report()
    watch = OverloadWatch(report)
    now = 100.0
    index = 0
    while not report.behind_calls:  # each frame takes 0.1 s to process; they are due every 1/15 s
        watch.frame(index / FPS, now, queued=10)
        index, now = index + 1, now + 0.1
    [(active, lag)] = report.behind_calls
    assert active and 1.0 < lag <= 1.0 + 0.1  # the very frame that passed a second late
    for _ in range(60):  # catching up: 0.01 s per frame
        watch.frame(index / FPS, now, queued=5)
        index, now = index + 1, now + 0.01
    assert report.behind_calls[-1][0] is False and not watch.is_behind
    assert len(report.behind_calls) == 2


def test_lost_video_frames_are_counted_and_merged() -> None:
    report = _Report()
    watch = OverloadWatch(report, OverloadThresholds(merge_seconds=1.0))
    kept = [0, 1, 2, 5, 6, 8, 40, 41, 41, 42]  # 3+4 skipped near 0.2-0.5 s, 31 skipped later, one repeat
    previous = -1
    recorded = []
    for pts in kept:
        watch.frame(pts / FPS, 100 + pts / FPS, queued=0)
        if watch.video_frame(pts, previous, FPS, 100 + pts / FPS):
            previous = pts
            recorded.append(pts)
    watch.flush()
    assert recorded == [0, 1, 2, 5, 6, 8, 40, 41, 42]
    assert [count for count, *_ in report.losses] == [3, 31, 1]
    first, second, repeat = report.losses
    assert first[1:3] == (3 / FPS, 8 / FPS) and "source dropped" in first[3]
    assert second[1:3] == (9 / FPS, 40 / FPS)
    assert "late or repeated" in repeat[3]
    assert watch.frames_lost_total == 35


def test_a_pause_the_health_monitor_reports_is_not_reported_again() -> None:
    report = _Report()
    watch = OverloadWatch(report, stall_seconds=3.0)
    # (pts, previous pts, processed at): a 6-s stall (no frames: the monitor's), then one dropped frame
    for pts, previous, at in [(0, -1, 100.0), (1, 0, 100.07), (92, 1, 106.1), (94, 92, 106.2)]:
        watch.video_frame(pts, previous, FPS, at)
    watch.flush()
    assert [count for count, *_ in report.losses] == [1]


def test_thresholds_are_bounded() -> None:
    with pytest.raises(ValueError, match="'late_seconds'"):
        OverloadThresholds(late_seconds=0)


# -- a real pipeline ------------------------------------------------------------------------------------


@dataclass
class _Events:
    alarms: list[tuple[HealthCondition, bool, datetime]] = field(default_factory=list)
    gaps: list[tuple[datetime, datetime, str]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    alarm_after: float | None = None

    def init_ready(self, stream: str, init_segment: bytes) -> None:
        pass

    def segment_sealed(
        self, stream: str, sealed: SealedFile, info: SegmentInfo, start_utc: datetime, end_utc: datetime
    ) -> None:
        pass

    def health_changed(self, stream: str, condition: HealthCondition, active: bool, at: datetime) -> None:
        self.alarms.append((condition, active, at))
        if condition == HealthCondition.PIPELINE_BEHIND and active and self.alarm_after is None:
            self.alarm_after = time.monotonic() - self.started

    def gap(self, stream: str, start: datetime, end: datetime, reason: str) -> None:
        self.gaps.append((start, end, reason))

    def origin(self, stream: str, origin_utc: datetime) -> None:
        pass

    def stream_failed(self, stream: str, message: str, at: datetime) -> int:
        raise AssertionError(f"the stream failed: {message}")

    def behind(self) -> list[bool]:
        return [
            active for condition, active, _ in self.alarms if condition == HealthCondition.PIPELINE_BEHIND
        ]


class _SlowEncoder:
    """The real x264 encoder, made to take ``seconds`` per picture (a machine that cannot keep up)."""

    def __init__(self, real: Any, seconds: float) -> None:
        self._real = real
        self._seconds = seconds

    def encode(self, frame: av.VideoFrame | None) -> Any:
        if frame is not None:
            time.sleep(self._seconds)
        return self._real.encode(frame)


class _DroppingSource:
    """A real synthetic source that loses every fifth picture, as a camera whose buffer overflows."""

    def __init__(self, real: Source) -> None:
        self._real = real
        self.dropped = 0
        self.video = real.video
        self.audio = real.audio
        self.spec = real.spec  # type: ignore[attr-defined]

    def frames(self) -> Iterator[av.VideoFrame | av.AudioFrame]:
        for index, frame in enumerate(self._real.frames()):
            if index % 5 == 4:
                self.dropped += 1
                continue
            yield frame

    def close(self) -> None:
        self._real.close()


def _record(tmp_path: Path, source: Any, seconds: float) -> _Events:
    events = _Events()
    pipeline = StreamPipeline(
        "cam",
        lambda: source,
        lambda stream: tmp_path / stream,
        events,
        first_seq={},
        settings=StreamSettings(segment_seconds=2),
    )
    pipeline.start()
    threading.Event().wait(seconds)
    pipeline.stop()
    assert pipeline.failure is None
    return events


@pytest.mark.integration
def test_a_pipeline_slower_than_real_time_raises_the_alarm_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = media_worker.open_video_encoder
    # 0.2 s a picture: 5 fps against a 15 fps source, so frames fall 2/3 s further behind every second
    monkeypatch.setattr(
        media_worker, "open_video_encoder", lambda config: _SlowEncoder(real_open(config), 0.2)
    )
    events = _record(tmp_path, open_source(parse_source_spec(SMALL)), 4.0)
    assert events.behind()[:1] == [True], events.alarms
    assert events.alarm_after is not None and events.alarm_after < 3.0  # ~1.5 s to fall 1 s behind


@pytest.mark.integration
def test_a_pipeline_that_keeps_up_raises_nothing(tmp_path: Path) -> None:
    events = _record(tmp_path, open_source(parse_source_spec(SMALL)), 3.0)
    assert events.behind() == [] and events.gaps == []


@pytest.mark.integration
def test_frames_the_source_dropped_are_journaled_with_their_count(tmp_path: Path) -> None:
    source = _DroppingSource(open_source(parse_source_spec(SMALL)))
    events = _record(tmp_path, source, 3.0)
    counts = [int(reason.split(" ", 1)[0]) for _, _, reason in events.gaps]
    assert all("video frame(s) lost: the source dropped video frames" in reason for *_, reason in events.gaps)
    assert source.dropped >= 8
    assert (
        source.dropped - 1 <= sum(counts) <= source.dropped
    )  # the last one may follow the last kept picture
    assert all(end > start for start, end, _ in events.gaps)
