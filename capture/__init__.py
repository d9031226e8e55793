"""capture: the agent on courtroom recorders and bodycams — encode once, segment, seal, alarm.

The names below are re-exported lazily (PEP 562, :mod:`archive.lazy_exports`): ``python -m capture``
loads the recorder, PyAV and NumPy only for the command that records, not for ``--help`` or a
listing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive.lazy_exports import lazy_exports

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

_SUBMODULE_OF = {
    "CaptureError": "errors",
    "EncoderError": "errors",
    "RecorderError": "errors",
    "Recorder": "recording.recorder",
    "RecordingPlan": "recording.recorder",
    "stream_names": "recording.recorder",
    "VideoEncoderConfig": "recording.stream.encoder",
    "VideoEncoderName": "recording.stream.encoder",
    "open_video_encoder": "recording.stream.encoder",
    "EncodedVideoPacket": "recording.stream.packet_tap",
    "PacketTap": "recording.stream.packet_tap",
    "CmafSegmenter": "recording.stream.segmenter",
    "SegmentInfo": "recording.stream.segmenter",
    "StreamPipeline": "recording.stream.stream_pipeline",
    "StreamSettings": "recording.stream.stream_pipeline",
}

__getattr__, __dir__ = lazy_exports(__name__, _SUBMODULE_OF, globals())
