"""How a recorded stream is set up and what it reports: its encoding settings, and the events its
recording journals (the StreamEvents protocol the recorder implements)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from archive.spool import SealedFile
from capture.recording.stream.encoder import VideoEncoderConfig, VideoEncoderName
from capture.recording.stream.segmenter import SegmentInfo
from devices import HealthCondition, HealthThresholds, VideoFormat


class StreamEvents(Protocol):
    """What a stream reports to its recording (implemented by the recorder, which journals it)."""

    def init_ready(self, stream: str, init_segment: bytes) -> None: ...

    def segment_sealed(
        self, stream: str, sealed: SealedFile, info: SegmentInfo, start_utc: datetime, end_utc: datetime
    ) -> None: ...

    def health_changed(self, stream: str, condition: HealthCondition, active: bool, at: datetime) -> None: ...

    def gap(self, stream: str, start: datetime, end: datetime, reason: str) -> None: ...

    def origin(self, stream: str, origin_utc: datetime) -> None:
        """A run's media time 0 is ``origin_utc``; called before any of its media is written."""
        ...

    def stream_failed(self, stream: str, message: str, at: datetime) -> int:
        """Record a failure of the stream's media work; returns the segment number to go on with."""
        ...


DiskFullHandler = Callable[
    [tuple[str, ...], BaseException, datetime, threading.Event, Callable[[], bool]], dict[str, int] | None
]
"""Called by a source whose media work failed on a full disk, with (its streams, error, when, stop,
idle): waits for space (calling ``idle()`` to drop frames; True from it means the source ended),
journals the episode and returns the segment number each stream goes on with, or None to end."""


@dataclass(frozen=True, slots=True)
class StreamSettings:
    """How one stream is encoded and cut."""

    segment_seconds: float = 6.0
    encoder: VideoEncoderName = VideoEncoderName.LIBX264
    preset: str = "veryfast"
    video_bitrate: int | None = None
    max_video_bitrate: int | None = None  # bits/s: a cap on the encoder's rate (x264 VBV), e.g. bodycams
    low_delay: bool = False  # set when the stream is also published live
    audio_bitrate: int = 64_000
    caption: str = ""
    thresholds: HealthThresholds = field(default_factory=HealthThresholds)


def video_encoder_config(fmt: VideoFormat, settings: StreamSettings) -> VideoEncoderConfig:
    """How a stream of picture format ``fmt`` is encoded (shared by a body camera's standby, whose
    encoder the stream goes on with)."""
    return VideoEncoderConfig(
        width=fmt.width,
        height=fmt.height,
        fps=fmt.fps,
        encoder=settings.encoder,
        preset=settings.preset,
        bitrate=settings.video_bitrate,
        max_bitrate=settings.max_video_bitrate,
        low_delay=settings.low_delay,
    )
