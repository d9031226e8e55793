"""The synthetic source: a moving test pattern with a frame counter plus a sine tone.

It needs no hardware, so tests, benchmarks and demos run anywhere; its fault-injection options
(``black``, ``freeze_after``, ``silence_after``, ``stall_after``/``stall_for``, ``fail_after``,
``end_after``) let tests drive the health alarms, gap records and reopens end to end.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

from devices import options as opt
from devices.errors import SourceOpenError
from devices.formats import AudioFormat, VideoFormat
from devices.generated.clock_stamp import stamp_clock
from devices.generated.pattern import MovingPattern
from devices.pacer import Pacer
from devices.planes import plane_array
from devices.spec import SourceKind, SourceSpec

__all__ = ["SAMPLES_PER_FRAME", "SAMPLE_RATE", "TONE_AMPLITUDE", "SyntheticSettings", "SyntheticSource"]

SAMPLE_RATE = 48_000
"""Audio sample rate in Hz (mono)."""
SAMPLES_PER_FRAME = 1024
"""Samples per audio frame (21.3 ms at 48 kHz), the AAC frame size."""
TONE_AMPLITUDE = 0.5
"""Peak amplitude of the tone relative to full scale: -6 dBFS peak, about -9 dBFS RMS."""


@dataclass(frozen=True, slots=True)
class SyntheticSettings:
    """The synthetic source's typed options; times are seconds of media time from the start."""

    width: int = 320
    height: int = 240
    fps: Fraction = Fraction(15)
    video: bool = True
    audio: bool = True
    tone_hz: float = 440.0
    black: bool = False
    freeze_after: float | None = None
    silence_after: float | None = None
    stall_after: float | None = None
    stall_for: float = 0.0
    fail_after: float | None = None
    end_after: float | None = None
    realtime: bool = True
    clock: bool = False

    @classmethod
    def from_spec(cls, spec: SourceSpec) -> SyntheticSettings:
        """Read the settings from a validated ``synthetic`` spec (defaults for absent options)."""

        def seconds(key: str) -> float | None:
            value = spec.option(key)
            return None if value is None else opt.parse_seconds(value)

        width, height = opt.parse_size(spec.option("size", "320x240"))
        return cls(
            width=width,
            height=height,
            fps=opt.parse_fps(spec.option("fps", "15")),
            video=opt.parse_flag(spec.option("video", "1")),
            audio=opt.parse_flag(spec.option("audio", "1")),
            tone_hz=opt.parse_frequency(spec.option("tone", "440")),
            black=opt.parse_flag(spec.option("black", "0")),
            freeze_after=seconds("freeze_after"),
            silence_after=seconds("silence_after"),
            stall_after=seconds("stall_after"),
            stall_for=seconds("stall_for") or 0.0,
            fail_after=seconds("fail_after"),
            end_after=seconds("end_after"),
            realtime=opt.parse_flag(spec.option("realtime", "1")),
            clock=opt.parse_flag(spec.option("clock", "0")),
        )


class SyntheticSource:
    """A test pattern (yuv420p) and a sine tone (fltp mono, 48 kHz), paced like a live device.

    Timestamps: video ``pts`` counts frames with ``time_base = 1/fps`` (so ``pts`` is also the
    number burned into the picture); audio ``pts`` counts samples with ``time_base = 1/48000``,
    1024 samples per frame. Frames come interleaved in timestamp order (video first on a tie).

    Faults: ``black=1`` sends black frames with no counter; from ``freeze_after`` on the picture
    (counter included) stays that of the first frame at or after that time; from ``silence_after``
    the samples are exact zeros; no frame at all has a timestamp in ``[stall_after, stall_after +
    stall_for)``, so ``pts`` jumps over the stall; the generator raises ``SourceOpenError`` (as an
    unplugged device) before ``fail_after``, and a source opened again counts from 0; it ends before
    ``end_after``.

    ``clock=1`` stamps each picture with the wall-clock time it is delivered (see
    :mod:`devices.generated.clock_stamp`), for latency benchmarks; stamped pictures never look frozen.
    """

    def __init__(self, spec: SourceSpec) -> None:
        """Prepare the pattern and tone for a validated ``synthetic`` spec (nothing is produced yet)."""
        if spec.kind is not SourceKind.SYNTHETIC:
            raise ValueError(f"not a synthetic spec: {spec!r}")
        self.spec = spec
        self.settings = SyntheticSettings.from_spec(spec)
        self._stop = threading.Event()
        s = self.settings
        self._pattern = MovingPattern(s.width, s.height) if s.video else None
        self._freeze_index = None if s.freeze_after is None else math.ceil(Fraction(s.freeze_after) * s.fps)
        self._silent_from = None if s.silence_after is None else math.ceil(s.silence_after * SAMPLE_RATE)
        self._sample_offsets = np.arange(SAMPLES_PER_FRAME, dtype=np.float64)

    @property
    def video(self) -> VideoFormat | None:
        """The picture format, or None with ``video=0``."""
        s = self.settings
        return VideoFormat(s.width, s.height, s.fps) if s.video else None

    @property
    def audio(self) -> AudioFormat | None:
        """48 kHz mono, or None with ``audio=0``."""
        return AudioFormat(SAMPLE_RATE, 1) if self.settings.audio else None

    def frames(self) -> Iterator[av.VideoFrame | av.AudioFrame]:
        """Yield frames in timestamp order, in real time unless ``realtime=0``, until closed or ``end_after``.

        Each call starts again at timestamp 0; after :meth:`close` it yields nothing.

        Raises:
            SourceOpenError: at ``fail_after`` (the injected fault).
        """
        s = self.settings
        pacer = Pacer(self._stop, realtime=s.realtime)
        pacer.start()
        for at, is_video, index in self._schedule():
            if s.end_after is not None and at >= s.end_after:
                return
            if s.fail_after is not None and at >= s.fail_after:
                raise SourceOpenError(f"synthetic source failed at {s.fail_after:g} s (fail_after)")
            if self._stalled(at):
                continue
            frame = self._video_frame(index) if is_video else self._audio_frame(index)
            if not pacer.wait_until(at):
                return
            if s.clock and isinstance(frame, av.VideoFrame):
                # stamped as it is delivered: the moment a camera would hand the picture over
                stamp_clock(plane_array(frame, 0), time.time_ns() // 1_000_000)
            yield frame

    def _schedule(self) -> Iterator[tuple[float, bool, int]]:
        """Every frame slot, in timestamp order: (media seconds, is it video, frame index)."""
        s = self.settings
        audio_step = Fraction(SAMPLES_PER_FRAME, SAMPLE_RATE)
        video_index = audio_index = 0
        while True:
            # Exact fractions: at 30000/1001 fps float times would drift against the sample clock.
            video_time: Fraction | float = video_index / s.fps if s.video else math.inf
            audio_time: Fraction | float = audio_index * audio_step if s.audio else math.inf
            if video_time <= audio_time:
                yield float(video_time), True, video_index
                video_index += 1
            else:
                yield float(audio_time), False, audio_index
                audio_index += 1

    def close(self) -> None:
        """Stop the generator (from any thread) at its next frame or wait; idempotent."""
        self._stop.set()

    def _stalled(self, at: float) -> bool:
        s = self.settings
        return s.stall_after is not None and s.stall_after <= at < s.stall_after + s.stall_for

    def _video_frame(self, index: int) -> av.VideoFrame:
        assert self._pattern is not None
        if self.settings.black:
            frame = self._pattern.render_black()
        elif self._freeze_index is not None:
            frame = self._pattern.render(min(index, self._freeze_index))
        else:
            frame = self._pattern.render(index)
        frame.pts = index
        frame.time_base = 1 / self.settings.fps
        return frame

    def _audio_frame(self, index: int) -> av.AudioFrame:
        first = index * SAMPLES_PER_FRAME
        # Phase from the absolute sample number keeps the tone continuous across frames.
        phase = (first + self._sample_offsets) * (2 * math.pi * self.settings.tone_hz / SAMPLE_RATE)
        samples = (TONE_AMPLITUDE * np.sin(phase)).astype(np.float32)
        if self._silent_from is not None and first + SAMPLES_PER_FRAME > self._silent_from:
            samples[max(0, self._silent_from - first) :] = 0.0
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="fltp", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = first
        frame.time_base = Fraction(1, SAMPLE_RATE)
        return frame
