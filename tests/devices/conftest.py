"""Shared helpers for the devices tests: real media files and hand-made PyAV frames.

They are handed out as fixtures (``kit``, ``make_media``) rather than imported, so the tests work
under any pytest import mode.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

MakeMedia = Callable[..., Path]


def yuv_frame(luma: np.ndarray, *, pts: int = 0, time_base: Fraction = Fraction(1, 10)) -> av.VideoFrame:
    """A yuv420p frame whose Y plane is ``luma`` (neutral chroma)."""
    height, width = luma.shape
    planes = np.full((height * 3 // 2, width), 128, dtype=np.uint8)
    planes[:height] = luma
    frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
    frame.pts = pts
    frame.time_base = time_base
    return frame


def flat_frame(value: int, width: int = 64, height: int = 48) -> av.VideoFrame:
    """A uniform picture with Y = ``value``."""
    return yuv_frame(np.full((height, width), value, dtype=np.uint8))


def noise_frame(seed: int, width: int = 64, height: int = 48) -> av.VideoFrame:
    """A mid-grey noisy picture, different for every seed."""
    rng = np.random.default_rng(seed)
    return yuv_frame(rng.integers(40, 220, size=(height, width), dtype=np.uint8))


def tone_frame(amplitude: float, *, samples: int = 1024, rate: int = 48_000) -> av.AudioFrame:
    """A mono fltp frame of a 1 kHz sine with the given peak amplitude (0 = digital silence)."""
    t = np.arange(samples) / rate
    data = (amplitude * np.sin(2 * np.pi * 1000 * t)).astype(np.float32).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(data, format="fltp", layout="mono")
    frame.sample_rate = rate
    frame.pts = 0
    frame.time_base = Fraction(1, rate)
    return frame


def write_media(
    path: Path, *, seconds: float = 2.0, fps: int = 15, size: tuple[int, int] = (64, 48), audio: bool = True
) -> Path:
    """Encode a real MP4 (H.264 noise pictures + AAC tone) with PyAV and return its path."""
    width, height = size
    rng = np.random.default_rng(7)
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast"}
        sound = container.add_stream("aac", rate=48_000) if audio else None
        if sound is not None:
            sound.layout = "mono"
        for index in range(round(seconds * fps)):
            picture = rng.integers(0, 255, size=(height, width, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None:
            for index in range(int(seconds * 48_000) // 1024):
                frame = tone_frame(0.3)
                frame.pts = index * 1024
                container.mux(sound.encode(frame))
            container.mux(sound.encode(None))
    return path


class Kit:
    """The frame helpers above, as one object a test can take as a fixture."""

    yuv_frame = staticmethod(yuv_frame)
    flat_frame = staticmethod(flat_frame)
    noise_frame = staticmethod(noise_frame)
    tone_frame = staticmethod(tone_frame)
    write_media = staticmethod(write_media)


@pytest.fixture
def kit() -> type[Kit]:
    """Frame and media helpers."""
    return Kit


@pytest.fixture
def make_media(tmp_path: Path) -> MakeMedia:
    """Factory writing a real MP4 into the test's temporary directory."""

    def make(name: str = "clip.mp4", **kwargs: object) -> Path:
        return write_media(tmp_path / name, **kwargs)  # type: ignore[arg-type]

    return make
