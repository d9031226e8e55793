"""The public packager remuxes H.264 as received and turns Opus into AAC, in fMP4 segments that
never outlast the playlist's target duration, with sound whenever the feed declares audio."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from fractions import Fraction

import av
import numpy as np
import pytest

from capture.recording.stream.encoder import VideoEncoderConfig, open_video_encoder
from devices.generated.pattern import MovingPattern
from streaming.errors import StreamRestartError
from streaming.public.packager import HlsPackager, MediaInfo
from streaming.publisher.opus_encoder import OpusEncoder
from streaming.relayed import RelayedPacket

FPS = 15


def _relayed_media(
    seconds: int,
    *,
    gop_seconds: int = 1,
    video: bool = True,
    audio: bool = True,
    size: tuple[int, int] = (320, 240),
) -> list[RelayedPacket]:
    """Video and Opus packets as the relay would hand them over, in arrival order."""
    encoder = open_video_encoder(
        VideoEncoderConfig(
            width=size[0], height=size[1], fps=Fraction(FPS), preset="ultrafast", gop_seconds=gop_seconds
        )
    )
    opus = OpusEncoder()
    pattern = MovingPattern(*size)
    packets: list[RelayedPacket] = []
    samples = 48_000 // FPS
    for index in range(seconds * FPS):
        at = index / FPS
        if video:
            frame = pattern.render(index)
            frame.pts, frame.time_base = index, Fraction(1, FPS)
            for p in encoder.encode(frame):
                packets.append(
                    RelayedPacket("video", bytes(p), int(p.pts or 0), p.time_base, p.is_keyframe, at)
                )
        if audio:
            tone = np.sin(np.arange(index * samples, (index + 1) * samples) * 2 * np.pi * 440 / 48_000)
            sound = av.AudioFrame.from_ndarray(
                tone.astype(np.float32).reshape(1, -1), format="fltp", layout="mono"
            )
            sound.sample_rate, sound.pts, sound.time_base = 48_000, index * samples, Fraction(1, 48_000)
            for p in opus.encode(sound):
                packets.append(
                    RelayedPacket("audio", bytes(p), int(p.pts or 0), Fraction(1, 48_000), True, at)
                )
    return packets


class _Output:
    def __init__(self) -> None:
        self.inits: list[tuple[bytes, MediaInfo]] = []
        self.segments: list[tuple[bytes, float]] = []

    def packager(self, seconds: float, **options: object) -> HlsPackager:
        return HlsPackager(
            seconds,
            lambda data, info: self.inits.append((data, info)),
            lambda data, duration: self.segments.append((data, duration)),
            **options,  # type: ignore[arg-type]
        )

    def decode(self, index: int, kind: str) -> list[av.AudioFrame] | list[av.VideoFrame]:
        with av.open(io.BytesIO(self.inits[-1][0] + self.segments[index][0])) as container:
            if kind == "audio":
                return list(container.decode(audio=0))
            return list(container.decode(video=0))


def test_segments_carry_the_same_video_and_aac_audio() -> None:
    out = _Output()
    packager = out.packager(2.0, with_audio=True)
    for packet in _relayed_media(7, gop_seconds=2):
        packager.push(packet)
    packager.close()
    assert len(out.inits) == 1
    info = out.inits[0][1]
    assert re.fullmatch(r"avc1\.[0-9a-f]{6},mp4a\.40\.2", info.codecs) and info.resolution == (320, 240)
    assert all(abs(seconds - 2.0) < 0.05 for _, seconds in out.segments[:3]), [s for _, s in out.segments]
    video_frames = out.decode(1, "video")
    audio_frames = out.decode(1, "audio")
    assert len(video_frames) == 2 * FPS and video_frames[0].key_frame
    assert sum(f.samples for f in audio_frames) >= 1.8 * 48_000
    loudness = max(float(np.abs(f.to_ndarray()).max()) for f in audio_frames)
    assert loudness > 0.3  # the tone survived Opus -> AAC


def test_a_long_gop_is_cut_at_the_maximum_so_the_target_duration_holds() -> None:
    out = _Output()
    packager = out.packager(1.0, with_audio=False, max_segment_seconds=2.0)
    for packet in _relayed_media(9, gop_seconds=4, audio=False):
        packager.push(packet)
    packager.close()
    durations = [seconds for _, seconds in out.segments]
    assert len(durations) >= 4 and max(durations) <= 2.0 + 1e-6, durations
    assert round(sum(durations)) == 9


def test_declared_audio_without_sound_is_filled_with_silence() -> None:
    out = _Output()
    packager = out.packager(1.0, with_audio=True)
    for packet in _relayed_media(4, audio=False):  # the microphone sends nothing (yet)
        packager.push(packet)
    packager.close()
    assert out.inits[0][1].codecs.endswith(",mp4a.40.2")
    audio = out.decode(1, "audio")
    assert sum(f.samples for f in audio) >= 0.8 * 48_000  # the audio keeps up with the picture
    assert max(float(np.abs(f.to_ndarray()).max()) for f in audio) < 1e-3


def test_an_audio_only_feed_is_packaged_as_aac_segments() -> None:
    out = _Output()
    packager = out.packager(1.0, with_audio=True, with_video=False)
    for packet in _relayed_media(5, video=False):
        packager.push(packet)
    packager.close()
    assert out.inits[0][1] == MediaInfo("mp4a.40.2", None)
    durations = [seconds for _, seconds in out.segments]
    assert len(durations) >= 4 and all(0.9 <= d <= 1.1 for d in durations[:-1]), durations
    audio = out.decode(1, "audio")
    assert max(float(np.abs(f.to_ndarray()).max()) for f in audio) > 0.3


def test_timestamps_starting_again_ask_for_a_new_packager() -> None:
    out = _Output()
    packager = out.packager(1.0, with_audio=True)
    first = _relayed_media(3)
    for packet in first:
        packager.push(packet)
    again = replace(first[0], arrival=first[-1].arrival + 0.1)  # a new publication: pts from zero
    with pytest.raises(StreamRestartError):
        packager.push(again)
    packager.close()
    assert out.segments  # what was packaged before still comes out


def test_another_sps_with_running_timestamps_asks_for_a_new_packager() -> None:
    out = _Output()
    packager = out.packager(1.0, with_audio=False)
    for packet in _relayed_media(2, audio=False):
        packager.push(packet)
    smaller = [  # the same feed, timestamps running on, from an encoder at another picture size
        replace(p, pts=p.pts + round(2 / p.time_base), arrival=p.arrival + 2)
        for p in _relayed_media(2, audio=False, size=(240, 160))
    ]
    with pytest.raises(StreamRestartError, match="another SPS"):
        packager.push(smaller[0])
    fresh = out.packager(1.0, with_audio=False)
    for packet in smaller:
        fresh.push(packet)
    fresh.close()
    assert out.inits[-1][1].resolution == (240, 160)
