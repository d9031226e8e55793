from __future__ import annotations

import itertools
import threading
import time
from fractions import Fraction

import av
import numpy as np
import pytest

from devices import (
    AudioFormat,
    HealthCondition,
    HealthEvent,
    HealthMonitor,
    Source,
    SourceOpenError,
    SyntheticSource,
    VideoFormat,
    open_source,
    parse_source_spec,
)
from devices.monitoring.frame_metrics import audio_rms_dbfs
from devices.planes import plane_array


def _frames(text: str) -> list[av.VideoFrame | av.AudioFrame]:
    source = open_source(parse_source_spec(text))
    try:
        return list(source.frames())
    finally:
        source.close()


def _video(frames: list[av.VideoFrame | av.AudioFrame]) -> list[av.VideoFrame]:
    return [f for f in frames if isinstance(f, av.VideoFrame)]


def _audio(frames: list[av.VideoFrame | av.AudioFrame]) -> list[av.AudioFrame]:
    return [f for f in frames if isinstance(f, av.AudioFrame)]


def _health_events(frames: list[av.VideoFrame | av.AudioFrame]) -> list[HealthEvent]:
    """Feed frames to a HealthMonitor with ``now`` = each frame's own time."""
    monitor = HealthMonitor(has_video=True, has_audio=True, now=0.0)
    events: list[HealthEvent] = []
    for frame in frames:
        now = float(frame.time)
        if isinstance(frame, av.VideoFrame):
            events += monitor.observe_video(frame, now)
        else:
            events += monitor.observe_audio(frame, now)
    return events


def _starts(events: list[HealthEvent], condition: HealthCondition) -> list[float]:
    return [e.at for e in events if e.condition is condition and e.active]


def test_default_source_formats_counts_and_timestamps() -> None:
    source = open_source(parse_source_spec("synthetic#realtime=0&end_after=2"))
    assert isinstance(source, SyntheticSource)
    assert isinstance(source, Source)
    assert source.video == VideoFormat(320, 240, Fraction(15))
    assert source.audio == AudioFormat(48_000, 1)
    frames = list(source.frames())
    video, audio = _video(frames), _audio(frames)
    assert len(video) == 30  # t = 0 .. 29/15 < 2 s
    assert len(audio) == 94  # t = 0 .. 93 * 1024 / 48000 < 2 s
    assert [f.pts for f in video] == list(range(30))
    assert {f.time_base for f in video} == {Fraction(1, 15)}
    assert [f.pts for f in audio] == [i * 1024 for i in range(94)]
    assert {f.time_base for f in audio} == {Fraction(1, 48_000)}
    assert {(f.width, f.height, f.format.name) for f in video} == {(320, 240, "yuv420p")}
    assert {(f.samples, f.sample_rate, f.format.name, f.layout.name) for f in audio} == {
        (1024, 48_000, "fltp", "mono")
    }
    times = [float(f.time) for f in frames]
    assert times == sorted(times)


def test_fractional_frame_rate() -> None:
    video = _video(_frames("synthetic#fps=30000/1001&audio=0&realtime=0&end_after=1"))
    assert len(video) == 30
    assert video[0].time_base == Fraction(1001, 30000)
    assert float(video[-1].time) == pytest.approx(29 * 1001 / 30000)


def test_counter_makes_consecutive_frames_differ_and_picture_is_deterministic() -> None:
    video = _video(_frames("synthetic#audio=0&realtime=0&end_after=1"))
    lumas = [plane_array(f, 0).copy() for f in video]
    for previous, current in itertools.pairwise(lumas):
        assert np.abs(previous.astype(int) - current.astype(int)).mean() > 0.5
    again = _video(_frames("synthetic#audio=0&realtime=0&end_after=1"))
    assert np.array_equal(plane_array(again[7], 0), lumas[7])


def test_tone_level() -> None:
    audio = _audio(_frames("synthetic#video=0&realtime=0&end_after=0.5"))
    assert audio_rms_dbfs(audio[3]) == pytest.approx(-9.03, abs=0.1)  # 0.5 peak sine


def test_video_only_and_audio_only() -> None:
    video_only = open_source(parse_source_spec("synthetic#audio=0&size=64x48&realtime=0&end_after=0.5"))
    assert video_only.audio is None
    assert all(isinstance(f, av.VideoFrame) for f in video_only.frames())
    audio_only = open_source(parse_source_spec("synthetic#video=0&realtime=0&end_after=0.5"))
    assert audio_only.video is None
    assert all(isinstance(f, av.AudioFrame) for f in audio_only.frames())


def test_black_raises_video_black_but_not_frozen() -> None:
    events = _health_events(_frames("synthetic#black=1&realtime=0&end_after=4.5"))
    assert _starts(events, HealthCondition.VIDEO_BLACK) == [pytest.approx(3.0)]
    assert _starts(events, HealthCondition.VIDEO_FROZEN) == []


def test_freeze_after_raises_video_frozen_within_threshold() -> None:
    frames = _frames("synthetic#freeze_after=1&realtime=0&end_after=6")
    video = _video(frames)
    assert np.array_equal(plane_array(video[15], 0), plane_array(video[40], 0))  # counter frozen too
    assert not np.array_equal(plane_array(video[13], 0), plane_array(video[14], 0))
    events = _health_events(frames)
    (started,) = _starts(events, HealthCondition.VIDEO_FROZEN)
    assert 1.0 + 3.0 <= started <= 1.0 + 3.0 + 0.5
    assert _starts(events, HealthCondition.VIDEO_BLACK) == []


def test_silence_after_raises_audio_silent_within_threshold() -> None:
    frames = _frames("synthetic#silence_after=1&realtime=0&end_after=5")
    assert audio_rms_dbfs(_audio(frames)[60]) == float("-inf")
    (started,) = _starts(_health_events(frames), HealthCondition.AUDIO_SILENT)
    assert 1.0 + 3.0 <= started <= 1.0 + 3.0 + 0.5


def test_stall_leaves_a_gap_in_pts_and_raises_no_frames() -> None:
    frames = _frames("synthetic#stall_after=1&stall_for=4&realtime=0&end_after=7")
    video_pts = [f.pts for f in _video(frames)]
    assert video_pts[:15] == list(range(15))
    assert video_pts[15] == 75  # first frame at or after 1 + 4 s
    assert not any(1.0 <= float(f.time) < 5.0 for f in frames)
    events = [e for e in _health_events(frames) if e.condition is HealthCondition.NO_FRAMES]
    assert [e.active for e in events] == [True, False]
    assert events[0].at == pytest.approx(14 / 15 + 3.0)  # last video frame before the stall + threshold
    assert events[1].at == pytest.approx(235 * 1024 / 48_000)  # when the last medium (audio) resumed


def test_fail_after_raises_as_an_unplugged_device_and_a_reopen_counts_from_zero() -> None:
    spec = parse_source_spec("synthetic#audio=0&fail_after=1&realtime=0")
    source = open_source(spec)
    seen: list[int] = []
    with pytest.raises(SourceOpenError, match="fail_after"):
        seen.extend(int(frame.pts or 0) for frame in source.frames())
    assert seen == list(range(15))  # every frame before 1 s, then the failure
    again = open_source(spec)
    assert next(iter(again.frames())).pts == 0
    again.close()


def test_end_after_ends_the_generator() -> None:
    frames = _frames("synthetic#end_after=0.5&realtime=0")
    assert max(float(f.time) for f in frames) < 0.5


def test_realtime_pacing() -> None:
    source = open_source(parse_source_spec("synthetic#fps=30&size=64x48&end_after=0.5"))
    started = time.monotonic()
    arrivals = [(time.monotonic() - started, float(f.time)) for f in source.frames()]
    elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 1.5
    assert all(arrived >= media - 0.005 for arrived, media in arrivals)  # never early


def test_close_from_another_thread_stops_the_generator() -> None:
    source = open_source(parse_source_spec("synthetic#size=64x48"))
    received: list[object] = []
    reader = threading.Thread(target=lambda: received.extend(source.frames()), name="reader")
    reader.start()
    time.sleep(0.3)
    source.close()
    reader.join(timeout=1.0)
    assert not reader.is_alive()
    assert received
    source.close()  # idempotent
    assert list(source.frames()) == []


@pytest.mark.parametrize(("size", "budget_ms"), [("1280x720", 8.0), ("320x240", 2.0)])
def test_picture_generation_is_cheap(size: str, budget_ms: float) -> None:
    # Generous bounds (about 20x the measured cost) so a busy CI machine does not flake.
    source = open_source(parse_source_spec(f"synthetic#size={size}&fps=30&audio=0&realtime=0&end_after=3"))
    started = time.process_time()
    count = sum(1 for _ in source.frames())
    per_frame_ms = (time.process_time() - started) / count * 1000
    assert count == 90
    assert per_frame_ms < budget_ms
