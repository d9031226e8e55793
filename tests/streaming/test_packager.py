"""The public packager remuxes H.264 as received and turns Opus into AAC, in fMP4 segments."""

from __future__ import annotations

import io
from fractions import Fraction

import av
import numpy as np

from capture.encoder import VideoEncoderConfig, open_video_encoder
from devices.generated.pattern import MovingPattern
from streaming.public.packager import HlsPackager
from streaming.publisher.opus_encoder import OpusEncoder
from streaming.server.feed import RelayedPacket

FPS = 15


def _relayed_media(seconds: int) -> list[RelayedPacket]:
    """Video and Opus packets as the relay would hand them over, in arrival order."""
    video = open_video_encoder(
        VideoEncoderConfig(width=320, height=240, fps=Fraction(FPS), preset="ultrafast")
    )
    opus = OpusEncoder()
    pattern = MovingPattern(320, 240)
    packets: list[RelayedPacket] = []
    samples = 48_000 // FPS
    for index in range(seconds * FPS):
        at = index / FPS
        frame = pattern.render(index)
        frame.pts, frame.time_base = index, Fraction(1, FPS)
        for p in video.encode(frame):
            packets.append(RelayedPacket("video", bytes(p), int(p.pts or 0), p.time_base, p.is_keyframe, at))
        tone = np.sin(np.arange(index * samples, (index + 1) * samples) * 2 * np.pi * 440 / 48_000)
        audio = av.AudioFrame.from_ndarray(
            tone.astype(np.float32).reshape(1, -1), format="fltp", layout="mono"
        )
        audio.sample_rate, audio.pts, audio.time_base = 48_000, index * samples, Fraction(1, 48_000)
        for p in opus.encode(audio):
            packets.append(RelayedPacket("audio", bytes(p), int(p.pts or 0), Fraction(1, 48_000), True, at))
    return packets


def test_segments_carry_the_same_video_and_aac_audio() -> None:
    inits: list[bytes] = []
    segments: list[tuple[bytes, float]] = []
    packager = HlsPackager(
        2.0, inits.append, lambda data, seconds: segments.append((data, seconds)), with_audio=True
    )
    for packet in _relayed_media(7):
        packager.push(packet)
    packager.close()
    assert len(inits) == 1
    assert all(abs(seconds - 2.0) < 0.05 for _, seconds in segments[:3]), [s for _, s in segments]
    with av.open(io.BytesIO(inits[0] + segments[1][0])) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
        video_frames = list(container.decode(video=0))
    with av.open(io.BytesIO(inits[0] + segments[1][0])) as container:
        audio_frames = list(container.decode(audio=0))
    assert len(video_frames) == 2 * FPS and video_frames[0].key_frame
    assert sum(f.samples for f in audio_frames) >= 1.8 * 48_000
    loudness = max(float(np.abs(f.to_ndarray()).max()) for f in audio_frames)
    assert loudness > 0.3  # the tone survived Opus -> AAC
