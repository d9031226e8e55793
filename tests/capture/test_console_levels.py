"""Sound levels for the clerk's console from the audio frames the recorder encodes: RMS and peak in
dBFS over the last 100 ms, digital silence at the floor, nothing when no sound came lately."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import av
import numpy as np

from capture.recording.stream.packet_tap import PacketTap
from capture.service.console.levels import FLOOR_DBFS, LevelMeters
from timebase import ManualClock


@dataclass
class Microphone:
    """What the meters read of a stream pipeline: its name, that it has sound, its audio tap."""

    name: str
    has_audio: bool = True
    audio_frames: PacketTap[av.AudioFrame] = field(default_factory=PacketTap)


def _frame(amplitude: float, samples: int = 1024) -> av.AudioFrame:
    t = np.arange(samples) / 48000
    tone = (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.float32).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
    frame.sample_rate = 48000
    return frame


def test_a_tone_reads_its_level_silence_the_floor_and_a_silent_source_nothing() -> None:
    clock = ManualClock(datetime(2026, 12, 3, tzinfo=UTC))
    tone, quiet = Microphone("mic-tone"), Microphone("mic-quiet")
    meters = LevelMeters(clock)
    pipelines: list[Any] = [tone, quiet]
    meters.follow(pipelines)
    assert meters.levels() == {"mic-tone": None, "mic-quiet": None}  # nothing heard yet
    for _ in range(6):  # ~130 ms
        tone.audio_frames.publish(_frame(0.5))
        quiet.audio_frames.publish(_frame(0.0))
    levels = meters.levels()
    assert levels["mic-tone"] is not None and levels["mic-quiet"] is not None
    assert (
        abs(levels["mic-tone"].rms_dbfs - (-9.0)) < 0.2 and abs(levels["mic-tone"].peak_dbfs - (-6.0)) < 0.1
    )
    assert levels["mic-quiet"].rms_dbfs == levels["mic-quiet"].peak_dbfs == FLOOR_DBFS
    clock.advance(timedelta(seconds=2))  # the source stops giving sound: no level, not the last one
    assert meters.levels() == {"mic-tone": None, "mic-quiet": None}
    meters.follow([])  # the recording ended: the taps are left
    tone.audio_frames.publish(_frame(0.5))
    assert meters.levels() == {}
