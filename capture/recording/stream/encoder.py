"""Opening the one video encoder of a stream: H.264, fixed GOP, Annex-B packets.

The encoder is a standalone codec context, not one opened by the muxer: the muxer would set the
global-header flag, and then keyframes would carry no SPS/PPS in-band and a WebRTC viewer given the
same packets could decode nothing (shared/STACK.md). The mp4 muxer builds a proper ``avcC`` from
the first packet, so the same packets serve the archive and the live path: encode once.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING

from capture.errors import EncoderError

if TYPE_CHECKING:
    from av.video.codeccontext import VideoCodecContext

logger = logging.getLogger(__name__)


class VideoEncoderName(StrEnum):
    """Encoders we know how to configure; AUTO tries hardware first, then libx264."""

    AUTO = "auto"
    LIBX264 = "libx264"
    VAAPI = "h264_vaapi"
    NVENC = "h264_nvenc"
    QSV = "h264_qsv"


_LOOKAHEAD_SECONDS = Fraction(1, 10)
_MAX_FRAME_THREADS = 4
_HARDWARE_ORDER = (VideoEncoderName.NVENC, VideoEncoderName.QSV, VideoEncoderName.VAAPI)


@dataclass(frozen=True, slots=True)
class VideoEncoderConfig:
    """How to encode one video stream. ``gop_seconds`` is also the fragment length."""

    width: int
    height: int
    fps: Fraction
    encoder: VideoEncoderName = VideoEncoderName.LIBX264
    preset: str = "veryfast"
    bitrate: int | None = None  # bits/s; None lets the encoder's rate control decide (CRF for x264)
    max_bitrate: int | None = None  # bits/s the rate may not exceed over ~1 s (VBV), whatever the scene
    gop_seconds: int = 1
    low_delay: bool = False  # x264 zerolatency: ~1 frame of encoder delay instead of ~12 (live)

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0 or self.width % 2 or self.height % 2:
            raise EncoderError(f"video size must be positive and even (got {self.width}x{self.height})")
        if self.fps <= 0:
            raise EncoderError(f"fps must be positive (got {self.fps})")
        for name, value in (("bitrate", self.bitrate), ("max_bitrate", self.max_bitrate)):
            if value is not None and value <= 0:
                raise EncoderError(f"{name} must be a positive number of bits per second (got {value})")
        if self.gop_seconds < 1:
            raise EncoderError(f"gop_seconds must be >= 1 (got {self.gop_seconds})")

    @property
    def gop_frames(self) -> int:
        return max(1, round(self.fps * self.gop_seconds))

    @property
    def lookahead_frames(self) -> int:
        """x264 rate-control lookahead for recording: ~0.1 s of frames, at least 2 (for mb-tree)."""
        return max(2, round(self.fps * _LOOKAHEAD_SECONDS))


def open_video_encoder(config: VideoEncoderConfig) -> VideoCodecContext:
    """Open the configured encoder; with AUTO, the first hardware encoder that opens, else libx264.

    A requested hardware encoder that cannot be opened falls back to libx264 with a warning (the
    hearing is recorded either way). Raises EncoderError when not even libx264 opens.
    """
    import av  # noqa: PLC0415 - PyAV only when encoding: the settings and options name encoders too

    candidates: list[VideoEncoderName] = []
    if config.encoder == VideoEncoderName.AUTO:
        candidates.extend(_HARDWARE_ORDER)
    elif config.encoder != VideoEncoderName.LIBX264:
        candidates.append(config.encoder)
    candidates.append(VideoEncoderName.LIBX264)
    errors: list[str] = []
    for name in candidates:
        try:
            context = _open(name, config)
        except (av.FFmpegError, ValueError) as exc:  # missing codec or device
            errors.append(f"{name}: {exc}")
            continue
        if errors:
            logger.warning("video encoder fallback to %s (%s)", name, "; ".join(errors))
        return context
    raise EncoderError("no H.264 encoder could be opened: " + "; ".join(errors))


def _open(name: VideoEncoderName, config: VideoEncoderConfig) -> VideoCodecContext:
    import av  # noqa: PLC0415 - see open_video_encoder
    from av.video.codeccontext import VideoCodecContext  # noqa: PLC0415

    context = av.CodecContext.create(str(name), "w")
    if not isinstance(context, VideoCodecContext):
        raise EncoderError(f"{name} is not a video encoder")
    context.width = config.width
    context.height = config.height
    context.pix_fmt = "nv12" if name in (VideoEncoderName.VAAPI, VideoEncoderName.QSV) else "yuv420p"
    context.time_base = Fraction(1) / config.fps
    context.framerate = config.fps
    context.gop_size = config.gop_frames
    context.max_b_frames = 0
    if config.bitrate:
        context.bit_rate = config.bitrate
    if config.max_bitrate:
        # A cap, not a target: quality-driven rate control below it, VBV holds the peaks (one second
        # of buffer) so a body camera's file sizes and uplink stay bounded.
        context.options = {"maxrate": str(config.max_bitrate), "bufsize": str(config.max_bitrate)}
    if name == VideoEncoderName.LIBX264:
        # A keyframe exactly every GOP and nowhere else, so fragments are exactly gop_seconds long
        # and segments cut where they should (shared/STACK.md).
        context.options = {
            **context.options,
            "preset": config.preset,
            "sc_threshold": "0",
            "bf": "0",
            "forced-idr": "1",
        }
        if not config.low_delay:
            # Recording only: frame threads, the ffmpeg CLI's default, cost about 5% less CPU than
            # PyAV's default slice threads for the same pictures. Every frame the encoder holds is
            # lost on a crash, though: x264's default lookahead (10 frames) plus one frame per
            # thread held 14 frames (0.9 s at 15 fps). A ~0.1 s lookahead and at most 4 threads hold
            # about 6 (same size and CPU on our test pictures); live viewers get zerolatency below.
            context.thread_type = "FRAME"
            context.thread_count = min(_MAX_FRAME_THREADS, os.cpu_count() or 1)
            context.options = {**context.options, "rc-lookahead": str(config.lookahead_frames)}
        if config.low_delay:
            # Live viewers see a picture ~400 ms sooner at 30 fps: no lookahead, sliced threads. It
            # costs some compression (no mb-tree), never a second encode.
            context.options = {**context.options, "tune": "zerolatency"}
    context.open()
    return context
