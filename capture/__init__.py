"""capture: the agent on courtroom recorders and bodycams — encode once, segment, seal, alarm."""

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
