from __future__ import annotations

import math

import pytest

from devices import HealthCondition, HealthEvent, HealthMonitor, HealthThresholds

NO_FRAMES = HealthCondition.NO_FRAMES
BLACK = HealthCondition.VIDEO_BLACK
FROZEN = HealthCondition.VIDEO_FROZEN
SILENT = HealthCondition.AUDIO_SILENT


def _video_monitor() -> HealthMonitor:
    return HealthMonitor(has_video=True, has_audio=False, now=0.0)


def test_black_picture_starts_after_threshold_and_clears_on_first_bright_frame(kit) -> None:
    monitor = _video_monitor()
    events: list[HealthEvent] = []
    for step in range(40):  # 10 fps, 4 s of black (Y = 16)
        events += monitor.observe_video(kit.flat_frame(16), step / 10)
    assert events == [HealthEvent(BLACK, True, 3.0)]
    assert monitor.active == frozenset({BLACK})
    assert monitor.observe_video(kit.noise_frame(1), 4.0) == [HealthEvent(BLACK, False, 4.0)]
    assert monitor.active == frozenset()


def test_dark_but_not_black_picture_is_not_black(kit) -> None:
    monitor = _video_monitor()
    events = [e for step in range(50) for e in monitor.observe_video(kit.noise_frame(step), step / 10)]
    events += [
        e for step in range(50, 100) for e in monitor.observe_video(kit.flat_frame(25 + step % 2), step / 10)
    ]
    assert BLACK not in {e.condition for e in events}


def test_frozen_picture_starts_at_last_change_plus_threshold_and_clears(kit) -> None:
    monitor = _video_monitor()
    events: list[HealthEvent] = []
    for step in range(10):  # moving until t = 0.9 s
        events += monitor.observe_video(kit.noise_frame(step), step / 10)
    still = kit.noise_frame(99)
    for step in range(10, 50):  # the same picture from t = 1.0 s on
        events += monitor.observe_video(still, step / 10)
    assert events == [HealthEvent(FROZEN, True, pytest.approx(1.0 + 3.0))]
    assert monitor.observe_video(kit.noise_frame(100), 5.0) == [HealthEvent(FROZEN, False, 5.0)]


def test_tiny_changes_still_count_as_frozen(kit) -> None:
    monitor = _video_monitor()
    base = kit.noise_frame(5).to_ndarray()[:48].copy()  # Y plane
    events: list[HealthEvent] = []
    for step in range(40):
        luma = base.copy()
        luma[0, step % 64] ^= 1  # one pixel flickers: sensor noise on a dead feed
        events += monitor.observe_video(kit.yuv_frame(luma), step / 10)
    assert [e.condition for e in events] == [FROZEN]


def test_black_wins_over_frozen(kit) -> None:
    monitor = _video_monitor()
    events = [e for step in range(50) for e in monitor.observe_video(kit.flat_frame(16), step / 10)]
    assert {e.condition for e in events} == {BLACK}


def test_silence_starts_after_threshold_and_clears(kit) -> None:
    monitor = HealthMonitor(has_video=False, has_audio=True, now=0.0)
    step = 1024 / 48_000
    events: list[HealthEvent] = []
    for index in range(50):
        events += monitor.observe_audio(kit.tone_frame(0.3), index * step)
    first_silent = 50 * step
    for index in range(50, 300):
        events += monitor.observe_audio(kit.tone_frame(0.0), index * step)
    assert events == [HealthEvent(SILENT, True, pytest.approx(first_silent + 3.0))]
    assert monitor.observe_audio(kit.tone_frame(0.3), 300 * step) == [HealthEvent(SILENT, False, 300 * step)]


def test_quiet_room_noise_above_threshold_is_not_silence(kit) -> None:
    monitor = HealthMonitor(has_video=False, has_audio=True, now=0.0)
    # -50 dBFS peak: a quiet room through a live microphone, above the -60 dBFS default.
    events = [
        e for i in range(300) for e in monitor.observe_audio(kit.tone_frame(10 ** (-50 / 20)), i * 0.02)
    ]
    assert events == []


def test_no_frames_detected_by_tick_and_cleared_when_frames_resume(kit) -> None:
    monitor = _video_monitor()
    for step in range(11):  # frames until t = 1.0
        assert monitor.observe_video(kit.noise_frame(step), step / 10) == []
    assert monitor.tick(2.0) == []
    assert monitor.tick(3.9) == []
    assert monitor.tick(4.2) == [HealthEvent(NO_FRAMES, True, 4.0)]  # last frame + threshold
    assert monitor.tick(4.7) == []  # reported once
    assert monitor.active == frozenset({NO_FRAMES})
    assert monitor.observe_video(kit.noise_frame(50), 6.5) == [HealthEvent(NO_FRAMES, False, 6.5)]
    assert monitor.active == frozenset()


def test_no_frames_from_the_start_counts_from_construction() -> None:
    monitor = HealthMonitor(has_video=True, has_audio=True, now=100.0)
    assert monitor.tick(102.9) == []
    assert monitor.tick(103.0) == [HealthEvent(NO_FRAMES, True, 103.0)]


def test_gap_without_ticks_reports_start_and_clear_together(kit) -> None:
    monitor = _video_monitor()
    monitor.observe_video(kit.noise_frame(1), 1.0)
    assert monitor.observe_video(kit.noise_frame(2), 9.0) == [
        HealthEvent(NO_FRAMES, True, 4.0),
        HealthEvent(NO_FRAMES, False, 9.0),
    ]


def test_one_medium_stopping_is_no_frames_until_it_resumes(kit) -> None:
    monitor = HealthMonitor(has_video=True, has_audio=True, now=0.0)
    events: list[HealthEvent] = []
    for step in range(60):  # video keeps coming, audio stops after 1 s
        t = step / 10
        events += monitor.observe_video(kit.noise_frame(step), t)
        if t <= 1.0:
            events += monitor.observe_audio(kit.tone_frame(0.3), t)
    assert events == [HealthEvent(NO_FRAMES, True, 4.0)]
    assert monitor.observe_audio(kit.tone_frame(0.3), 6.0) == [HealthEvent(NO_FRAMES, False, 6.0)]


def test_custom_thresholds(kit) -> None:
    thresholds = HealthThresholds(black_seconds=0.5, black_luma=40.0)
    monitor = HealthMonitor(has_video=True, has_audio=False, thresholds=thresholds, now=0.0)
    events = [e for step in range(10) for e in monitor.observe_video(kit.flat_frame(35), step / 10)]
    assert events == [HealthEvent(BLACK, True, 0.5)]


def test_wrong_medium_is_a_programming_error(kit) -> None:
    with pytest.raises(ValueError, match="has_audio=False"):
        _video_monitor().observe_audio(kit.tone_frame(0.3), 0.0)
    with pytest.raises(ValueError, match="has_video=False"):
        HealthMonitor(has_video=False, has_audio=True, now=0.0).observe_video(kit.flat_frame(16), 0.0)
    with pytest.raises(ValueError, match="has_video or has_audio"):
        HealthMonitor(has_video=False, has_audio=False, now=0.0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("no_frames_seconds", 0.0, "'no_frames_seconds' must be a finite number of seconds > 0"),
        ("black_seconds", -1.0, "'black_seconds' must be"),
        ("frozen_seconds", math.inf, "'frozen_seconds' must be"),
        ("silence_seconds", math.nan, "'silence_seconds' must be"),
        ("black_luma", 0.0, "'black_luma' must be in (0, 255]"),
        ("frozen_mean_abs_diff", -0.1, "'frozen_mean_abs_diff' must be in [0, 255]"),
        ("silence_dbfs", 0.0, "'silence_dbfs' must be < 0"),
        ("silence_dbfs", math.nan, "'silence_dbfs' must be < 0"),
    ],
)
def test_thresholds_are_validated(field: str, value: float, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        HealthThresholds(**{field: value})
    assert message in str(caught.value)
