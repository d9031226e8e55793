"""The mixing thread in process, with the microphones' frame taps fed directly and its stream events
collected (an honest stand-in for the recording log): the sum is encoded and sealed, and a failure of
the mix's own media work is reported and the mix goes on with the next segment number."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from archive.spool import SealedFile
from capture.recording.mix import mic_mix
from capture.recording.mix.mic_mix import MicrophoneMix
from capture.recording.stream.packet_tap import PacketTap
from capture.recording.stream.segmenter import SegmentInfo
from devices import HealthCondition
from tests.waiting import wait_until

ORIGIN = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


class Collected:
    def __init__(self) -> None:
        self.init: list[bytes] = []
        self.segments: list[tuple[SealedFile, SegmentInfo]] = []
        self.origins: list[datetime] = []
        self.failures: list[str] = []

    def init_ready(self, stream: str, init_segment: bytes) -> None:
        self.init.append(init_segment)

    def segment_sealed(
        self, stream: str, sealed: SealedFile, info: SegmentInfo, start_utc: datetime, end_utc: datetime
    ) -> None:
        self.segments.append((sealed, info))

    def health_changed(self, stream: str, condition: HealthCondition, active: bool, at: datetime) -> None:
        raise AssertionError("the mix has no health alarms of its own")

    def gap(self, stream: str, start: datetime, end: datetime, reason: str) -> None:
        raise AssertionError("no gap expected")

    def origin(self, stream: str, origin_utc: datetime) -> None:
        self.origins.append(origin_utc)

    def stream_failed(self, stream: str, message: str, at: datetime) -> int:
        self.failures.append(message)
        return max((info.seq for _s, info in self.segments), default=0) + 1


def _frames(hz: float, seconds: float) -> list[av.AudioFrame]:
    frames = []
    for first in range(0, int(seconds * 48000), 1024):
        t = (np.arange(1024) + first) / 48000
        samples = (0.5 * np.sin(2 * math.pi * hz * t) if hz else np.zeros(1024)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="fltp", layout="mono")
        frame.sample_rate = 48000
        frame.pts = first
        frame.time_base = Fraction(1, 48000)
        frames.append(frame)
    return frames


def _mix(tmp_path: Path, events: Collected) -> tuple[MicrophoneMix, PacketTap[Any], PacketTap[Any]]:
    one: PacketTap[av.AudioFrame] = PacketTap()
    two: PacketTap[av.AudioFrame] = PacketTap()
    mix = MicrophoneMix(
        [("mic-1", one), ("mic-2", two)],
        lambda stream: ORIGIN,
        lambda stream: tmp_path / stream,
        events,
        first_seq=1,
        segment_seconds=1.0,
    )
    return mix, one, two


def _decoded_rms(events: Collected, work: Path) -> float:
    data = events.init[0] + b"".join(sealed.path.read_bytes() for sealed, _info in events.segments)
    path = work / "mix.mp4"
    path.write_bytes(data)
    with av.open(str(path)) as container:
        samples = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
    middle = samples[len(samples) // 4 : 3 * len(samples) // 4]
    return float(np.sqrt(np.mean(np.square(middle, dtype=np.float64))))


def test_a_tone_and_a_silent_microphone_mix_to_the_tone(tmp_path: Path) -> None:
    events = Collected()
    mix, one, two = _mix(tmp_path, events)
    mix.start()
    for tone, silence in zip(_frames(1000, 3.0), _frames(0, 3.0), strict=True):
        one.publish(tone)
        two.publish(silence)
    mix.stop()
    assert mix.failure is None and events.origins == [ORIGIN]
    seqs = [info.seq for _s, info in events.segments]
    assert seqs[:3] == [1, 2, 3] and seqs == list(range(1, len(seqs) + 1))  # 3 s in 1-s segments
    assert _decoded_rms(events, tmp_path) == pytest.approx(0.5 / math.sqrt(2), rel=0.05)


def test_a_failure_of_the_mix_is_reported_and_the_mix_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = Collected()
    mix, one, two = _mix(tmp_path, events)
    real = mic_mix._MixWorker._emit
    calls = {"n": 0}

    def failing_once(self: Any, until: int, *, final: bool) -> None:
        calls["n"] += 1
        if calls["n"] == 1 and until > 0:
            raise RuntimeError("encoder broke")
        if calls["n"] == 1:
            calls["n"] = 0  # nothing to emit yet: fail on the first real work
        real(self, until, final=final)

    monkeypatch.setattr(mic_mix._MixWorker, "_emit", failing_once)
    monkeypatch.setattr(mic_mix, "_RESTART_DELAY_SECONDS", 0.05)
    mix.start()
    frames = list(zip(_frames(440, 4.0), _frames(0, 4.0), strict=True))
    for tone, silence in frames[:50]:
        one.publish(tone)
        two.publish(silence)
    wait_until(lambda: bool(events.failures), 10, "the mix's failure to be reported")
    for tone, silence in frames[50:]:  # the microphones go on: so does the restarted mix
        one.publish(tone)
        two.publish(silence)
    wait_until(lambda: len(events.origins) == 2, 10, "the restarted mix to start")
    mix.stop()
    assert events.failures == ["RuntimeError: encoder broke"]
    assert len(events.origins) == 2  # the restarted mix journals its own origin: where it goes on
    assert events.origins[1] >= ORIGIN + timedelta(seconds=50 * 1024 / 48000 - 0.05)
    assert max(info.end_seconds for _s, info in events.segments) < 4.0 - 50 * 1024 / 48000 + 0.2
    assert isinstance(mix.failure, RuntimeError)
    assert events.segments, "the restarted mix recorded nothing"
