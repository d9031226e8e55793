"""The picture and sound formats a source delivers."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

__all__ = ["AudioFormat", "VideoFormat"]


@dataclass(frozen=True, slots=True)
class VideoFormat:
    """Picture size in pixels and nominal frame rate in frames per second."""

    width: int
    height: int
    fps: Fraction

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"'width' and 'height' must be > 0 (got {self.width}x{self.height})")
        if self.fps <= 0:
            raise ValueError(f"'fps' must be > 0 (got {self.fps})")


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """Sample rate in Hz and channel count."""

    sample_rate: int
    channels: int

    def __post_init__(self) -> None:
        if self.sample_rate <= 0:
            raise ValueError(f"'sample_rate' must be > 0 (got {self.sample_rate})")
        if self.channels <= 0:
            raise ValueError(f"'channels' must be > 0 (got {self.channels})")
