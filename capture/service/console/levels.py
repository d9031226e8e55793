"""Sound levels of the recorded microphones for the clerk's console: RMS and peak in dBFS over the
last ~100 ms of the very audio frames the recorder encodes (no second capture).

Each stream's meter subscribes to its pipeline's audio tap with a short queue that drops its oldest
frames, so a console nobody looks at costs the recorder nothing; the frames are read when a level is
asked for.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt

from capture.recording.stream.stream_pipeline import StreamPipeline
from timebase import Clock

WINDOW_SAMPLES = 4800  # 100 ms at 48 kHz
FLOOR_DBFS = -100.0  # what digital silence reads
STALE_SECONDS = 1.0  # no audio for this long: no level at all (the source gives nothing)
_QUEUE_FRAMES = 16  # ~340 ms of 1024-sample frames


@dataclass(frozen=True, slots=True)
class Level:
    """A microphone's level: RMS and peak in dBFS (``FLOOR_DBFS`` for digital silence)."""

    rms_dbfs: float
    peak_dbfs: float


def dbfs(amplitude: float) -> float:
    """``amplitude`` (full scale 1.0) in dBFS, no lower than ``FLOOR_DBFS``."""
    return FLOOR_DBFS if amplitude <= 0 else max(FLOOR_DBFS, 20 * math.log10(amplitude))


class _Meter:
    def __init__(self, pipeline: StreamPipeline) -> None:
        self.pipeline = pipeline
        self.frames: queue.Queue[av.AudioFrame] = pipeline.audio_frames.subscribe(_QUEUE_FRAMES)
        self.window: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)
        self.last_audio: float | None = None

    def level(self, now: float) -> Level | None:
        chunks = [self.window]
        while True:
            try:
                frame = self.frames.get_nowait()
            except queue.Empty:
                break
            samples = frame.to_ndarray().astype(np.float32)  # planar: one row per channel
            chunks.append(np.abs(samples).max(axis=0) if samples.ndim == 2 else np.abs(samples))
        if len(chunks) > 1:
            self.last_audio = now
        self.window = np.concatenate(chunks)[-WINDOW_SAMPLES:]
        if self.last_audio is None or now - self.last_audio > STALE_SECONDS or not self.window.size:
            return None
        rms = float(np.sqrt(np.mean(np.square(self.window, dtype=np.float64))))
        return Level(rms_dbfs=round(dbfs(rms), 1), peak_dbfs=round(dbfs(float(self.window.max())), 1))


class LevelMeters:
    """One meter per microphone stream of the recording in progress."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._meters: dict[str, _Meter] = {}

    def follow(self, pipelines: Sequence[StreamPipeline]) -> None:
        """Meter ``pipelines`` (those with sound), dropping the meters of any earlier recording."""
        with self._lock:
            current = {p.name: p for p in pipelines if p.has_audio}
            for name, meter in list(self._meters.items()):
                if current.get(name) is not meter.pipeline:
                    meter.pipeline.audio_frames.unsubscribe(meter.frames)
                    del self._meters[name]
            for name, pipeline in current.items():
                if name not in self._meters:
                    self._meters[name] = _Meter(pipeline)

    def levels(self) -> dict[str, Level | None]:
        """Each metered stream's level now (None: no sound arrived lately)."""
        now = self._clock.monotonic()
        with self._lock:
            return {name: meter.level(now) for name, meter in self._meters.items()}

    def peak_dbfs(self, name: str) -> float | None:
        """Stream ``name``'s peak level now in dBFS (None: no such microphone or no sound lately)."""
        level = self.levels().get(name)
        return None if level is None else level.peak_dbfs
