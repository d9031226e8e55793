"""capture: the agent on courtroom recorders and bodycams — encode once, segment, seal, alarm.

The names below are re-exported lazily (PEP 562, through ``lazy_loader``): ``python -m capture``
loads the recorder, PyAV and NumPy only for the command that records, not for ``--help`` or a
listing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

if TYPE_CHECKING:
    from capture.errors import CaptureError, EncoderError, RecorderError
    from capture.recording.recorder import Recorder, RecordingPlan, stream_names
    from capture.recording.stream.encoder import VideoEncoderConfig, VideoEncoderName, open_video_encoder
    from capture.recording.stream.packet_tap import EncodedVideoPacket, PacketTap
    from capture.recording.stream.segmenter import CmafSegmenter, SegmentInfo
    from capture.recording.stream.stream_pipeline import StreamPipeline, StreamSettings

__all__ = [
    "CaptureError",
    "CmafSegmenter",
    "EncodedVideoPacket",
    "EncoderError",
    "PacketTap",
    "Recorder",
    "RecorderError",
    "RecordingPlan",
    "SegmentInfo",
    "StreamPipeline",
    "StreamSettings",
    "VideoEncoderConfig",
    "VideoEncoderName",
    "open_video_encoder",
    "stream_names",
]

__getattr__, __dir__, _ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "errors": ["CaptureError", "EncoderError", "RecorderError"],
        "recording.recorder": ["Recorder", "RecordingPlan", "stream_names"],
        "recording.stream.encoder": ["VideoEncoderConfig", "VideoEncoderName", "open_video_encoder"],
        "recording.stream.packet_tap": ["EncodedVideoPacket", "PacketTap"],
        "recording.stream.segmenter": ["CmafSegmenter", "SegmentInfo"],
        "recording.stream.stream_pipeline": ["StreamPipeline", "StreamSettings"],
    },
)
