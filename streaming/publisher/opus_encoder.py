"""Encoding the agent's audio for live once, to Opus (the archive keeps its own AAC).

Runs in the publisher's audio thread (PyAV work never runs on the event loop).
"""

from __future__ import annotations

from fractions import Fraction

import av
from av.audio.codeccontext import AudioCodecContext

from streaming.errors import PublishError
from streaming.packet_track import MediaPacket

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960  # 20 ms, WebRTC's usual Opus frame
_TIME_BASE = Fraction(1, SAMPLE_RATE)


class OpusEncoder:
    """Resamples any PyAV audio frames to 48 kHz stereo s16 and encodes 20 ms Opus packets.

    Packet ``pts`` count samples at 48 kHz from the first frame given. Raises PublishError when
    libopus cannot be opened.
    """

    def __init__(self, bitrate: int = 48_000) -> None:
        try:
            codec = av.CodecContext.create("libopus", "w")
        except (av.FFmpegError, ValueError) as exc:
            raise PublishError(f"cannot open the Opus encoder: {exc}") from exc
        if not isinstance(codec, AudioCodecContext):
            raise PublishError("libopus is not an audio encoder")
        codec.sample_rate = SAMPLE_RATE
        codec.layout = "stereo"
        codec.format = "s16"
        codec.bit_rate = bitrate
        codec.time_base = _TIME_BASE
        codec.options = {"application": "lowdelay"}
        codec.open()
        self._codec = codec
        self._resampler = av.AudioResampler(
            format="s16", layout="stereo", rate=SAMPLE_RATE, frame_size=FRAME_SAMPLES
        )
        self._next_pts = 0

    def encode(self, frame: av.AudioFrame) -> list[MediaPacket]:
        """Opus packets for ``frame`` (possibly none yet: the resampler buffers to 20 ms).

        ``frame`` is only read (the recorder may be encoding the same frame to AAC meanwhile).
        """
        packets: list[MediaPacket] = []
        for chunk in self._resampler.resample(frame):
            chunk.pts = self._next_pts
            chunk.time_base = _TIME_BASE
            self._next_pts += chunk.samples
            for packet in self._codec.encode(chunk):
                packet.time_base = _TIME_BASE
                packet.is_keyframe = True
                packets.append(packet)
        return packets
