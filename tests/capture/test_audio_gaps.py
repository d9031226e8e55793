"""Sound whose timestamps jump (a device stall, an ALSA overrun, a resumed source) leaves a hole in
the recording's timeline that is journaled as a gap with its times; small jitter makes no gap.
Unit tests drive the timeline with explicit times; the integration tests run a real pipeline on the
real synthetic source, whose ``stall_after``/``stall_for`` make its timestamps skip time."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pytest

from archive.spool import SealedFile
from capture.recording.stream.audio_timeline import AudioTimeline, SampleGap
from capture.recording.stream.segmenter import SegmentInfo
from capture.recording.stream.stream_pipeline import StreamPipeline, StreamSettings
from devices import HealthCondition, Source, SourceOpenError, open_source, parse_source_spec

RATE = 48000

# -- the timeline, with explicit times ------------------------------------------------------------------


def test_contiguous_and_jittery_sound_makes_no_gap() -> None:
    timeline = AudioTimeline(RATE)
    jitter = random.Random(7)
    for index in range(2000):  # ~43 s of 1024-sample frames, each stamped up to 80 ms off
        assert timeline.place(index * 1024 / RATE + jitter.uniform(-0.08, 0.08)) is None
        timeline.advance(1024)
    assert timeline.next_sample == 2000 * 1024


def test_a_jump_forward_is_a_gap_from_the_last_sample_to_the_new_timestamp() -> None:
    timeline = AudioTimeline(RATE)
    for index in range(50):
        assert timeline.place(index * 1024 / RATE) is None
        timeline.advance(1024)
    gap = timeline.place(50 * 1024 / RATE + 1.5)
    assert gap == SampleGap(50 * 1024, 50 * 1024 + 72000)
    assert timeline.advance(1024) == 50 * 1024 + 72000  # the next sound is placed after the hole


def test_a_source_counting_from_zero_again_reanchors_so_later_jumps_are_still_gaps() -> None:
    timeline = AudioTimeline(RATE)
    for index in range(100):
        timeline.place(index * 1024 / RATE)
        timeline.advance(1024)
    assert timeline.place(0.0) is None  # reopened: its clock starts again
    timeline.advance(1024)
    assert timeline.place(1024 / RATE) is None
    timeline.advance(1024)
    gap = timeline.place(2 * 1024 / RATE + 1.0)
    assert gap is not None and gap.end - gap.start == RATE


def test_a_source_reopened_after_a_failure_is_placed_after_the_time_it_was_away() -> None:
    timeline = AudioTimeline(RATE)
    for index in range(100):
        timeline.place(index * 1024 / RATE)
        timeline.advance(1024)
    timeline.resume(1.5)
    assert timeline.place(0.0) == SampleGap(100 * 1024, 100 * 1024 + 72000)  # its clock starts at 0
    timeline.advance(1024)
    assert timeline.place(1024 / RATE) is None  # and goes on from there without another gap
    timeline.advance(1024)
    gap = timeline.place(2 * 1024 / RATE + 0.5)
    assert gap is not None and gap.end - gap.start == RATE // 2


def test_the_tolerance_is_checked() -> None:
    with pytest.raises(ValueError, match="'tolerance_seconds'"):
        AudioTimeline(RATE, tolerance_seconds=0)


# -- a real pipeline ------------------------------------------------------------------------------------


@dataclass
class _Events:
    gaps: list[tuple[str, datetime, datetime, str]] = field(default_factory=list)
    origins: dict[str, datetime] = field(default_factory=dict)
    audio_end: dict[str, float] = field(default_factory=dict)

    def init_ready(self, stream: str, init_segment: bytes) -> None:
        pass

    def segment_sealed(
        self, stream: str, sealed: SealedFile, info: SegmentInfo, start_utc: datetime, end_utc: datetime
    ) -> None:
        self.audio_end[stream] = info.end_seconds

    def health_changed(self, stream: str, condition: HealthCondition, active: bool, at: datetime) -> None:
        pass

    def gap(self, stream: str, start: datetime, end: datetime, reason: str) -> None:
        self.gaps.append((stream, start, end, reason))

    def origin(self, stream: str, origin_utc: datetime) -> None:
        self.origins[stream] = origin_utc

    def stream_failed(self, stream: str, message: str, at: datetime) -> int:
        raise AssertionError(f"the stream failed: {message}")


class _JitteryAudio:
    """A real synthetic source whose sound timestamps are each moved by up to ±``jitter`` seconds,
    as a capture card's clock reads are (a fake of the stamping only; the sound is real)."""

    def __init__(self, real: Source, jitter: float) -> None:
        self._real = real
        self._random = random.Random(3)
        self._jitter = jitter
        self.video = real.video
        self.audio = real.audio
        self.spec = real.spec  # type: ignore[attr-defined]

    def frames(self) -> Iterator[av.VideoFrame | av.AudioFrame]:
        for frame in self._real.frames():
            if isinstance(frame, av.AudioFrame) and frame.pts is not None and frame.pts > 0:
                moved = frame.pts + round(self._random.uniform(-self._jitter, self._jitter) * RATE)
                frame.pts = max(1, moved)
                frame.time_base = Fraction(1, RATE)
            yield frame

    def close(self) -> None:
        self._real.close()


class _FailingAudio:
    """A real synthetic source that fails (as a device unplugged) after ``seconds`` of sound."""

    def __init__(self, real: Source, seconds: float) -> None:
        self._real = real
        self._seconds = seconds
        self.video = real.video
        self.audio = real.audio
        self.spec = real.spec  # type: ignore[attr-defined]

    def frames(self) -> Iterator[av.VideoFrame | av.AudioFrame]:
        for frame in self._real.frames():
            stamped = frame.pts is not None and frame.time_base is not None
            if stamped and frame.pts * frame.time_base >= self._seconds:
                raise SourceOpenError("the microphone went away")
            yield frame

    def close(self) -> None:
        self._real.close()


def _record(tmp_path: Path, source: Any, *, reopened: Any = None) -> _Events:
    events = _Events()
    opened = [source, *([] if reopened is None else [reopened])]
    pipeline = StreamPipeline(
        "mic",
        lambda: opened.pop(0),
        lambda stream: tmp_path / stream,
        events,
        first_seq={},
        settings=StreamSettings(segment_seconds=1),
    )
    pipeline.start()
    for thread in pipeline._threads:  # the source ends by itself (end_after): wait for the seal
        thread.join(timeout=60)
    pipeline.stop()
    assert pipeline.failure is None
    return events


@pytest.mark.integration
def test_sound_that_skips_time_is_journaled_as_a_gap_with_its_times(tmp_path: Path) -> None:
    spec = "synthetic#video=0&stall_after=1&stall_for=0.8&end_after=3&realtime=0"
    events = _record(tmp_path, open_source(parse_source_spec(spec)))
    assert len(events.gaps) == 1, events.gaps
    stream, start, end, reason = events.gaps[0]
    origin = events.origins["mic"]
    assert stream == "mic" and "sound timestamps jumped" in reason
    # the last frame before the stall starts at 46 * 1024 samples, the first after it at 85 * 1024
    assert (start - origin).total_seconds() == pytest.approx(47 * 1024 / RATE, abs=1024 / RATE)
    assert (end - origin).total_seconds() == pytest.approx(85 * 1024 / RATE, abs=1e-3)
    assert events.audio_end["mic"] == pytest.approx(3.0, abs=0.05)  # the hole is kept in the timeline


@pytest.mark.integration
def test_a_source_reopened_after_a_failure_leaves_a_journaled_gap_for_its_time_away(tmp_path: Path) -> None:
    failing = _FailingAudio(open_source(parse_source_spec("synthetic#video=0")), 1.0)
    again = open_source(parse_source_spec("synthetic#video=0&end_after=1"))  # counts from 0 again
    events = _record(tmp_path, failing, reopened=again)
    assert len(events.gaps) == 1, events.gaps
    stream, start, end, reason = events.gaps[0]
    away = (end - start).total_seconds()
    assert stream == "mic" and "sound timestamps jumped" in reason
    assert (start - events.origins["mic"]).total_seconds() == pytest.approx(1.0, abs=0.05)
    assert 1.0 <= away < 3.0, away  # the reader waits 1 s before it reopens
    assert events.audio_end["mic"] == pytest.approx(2.0 + away, abs=0.1)


@pytest.mark.integration
def test_jittery_sound_timestamps_make_no_gap(tmp_path: Path) -> None:
    real = open_source(parse_source_spec("synthetic#video=0&end_after=3&realtime=0"))
    events = _record(tmp_path, _JitteryAudio(real, 0.08))
    assert events.gaps == []
    assert events.audio_end["mic"] == pytest.approx(3.0, abs=0.05)
