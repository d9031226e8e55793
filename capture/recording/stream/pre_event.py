"""What a body camera's standby hands to the first stream of a recording: its open encoder and the
encoded pictures it kept in memory (the pre-event buffer), so that they become the recording's
first segments without being decoded or encoded again.

The buffer starts on a keyframe. Encoder timestamps keep counting across the handover (x264 needs
increasing ones); the stream subtracts ``pts_offset`` before muxing, so media time 0 is the buffer's
first picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import av
from av.video.codeccontext import VideoCodecContext

from capture.recording.stream.packet_tap import EncodedVideoPacket


@dataclass(frozen=True, slots=True)
class PreEventHandover:
    """The standby's encoder and buffer for one stream.

    ``packets`` are in encoder time (``1/fps``), the first a keyframe with ``pts == pts_offset``;
    ``next_pts`` is the encoder pts the next picture must get; ``source_origin_seconds`` is the
    source's own time of the first buffered picture and ``origin_utc`` its wall time;
    ``activated_seconds`` is the media time of the activation: segments that start before it hold
    buffered pictures and are flagged ``pre_event``. ``audio`` holds the source's own frames from
    the buffer's start, when the pre-event audio policy allows keeping sound (default: not).
    """

    encoder: VideoCodecContext
    packets: tuple[EncodedVideoPacket, ...]
    pts_offset: int
    next_pts: int
    source_origin_seconds: float
    origin_utc: datetime
    activated_seconds: float
    audio: tuple[av.AudioFrame, ...] = ()  # raw sound kept only when the policy allows (source time)

    def __post_init__(self) -> None:
        if not self.packets or not self.packets[0].keyframe:
            raise ValueError("a pre-event buffer must start with a keyframe")
        if self.packets[0].pts != self.pts_offset:
            raise ValueError(f"the buffer starts at pts {self.packets[0].pts}, not at {self.pts_offset}")
