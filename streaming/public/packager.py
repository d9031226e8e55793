"""Packaging a relayed feed into fMP4 HLS segments: H.264 remuxed as received, Opus → AAC.

Runs in a public broadcast's own thread. Video is not re-encoded (unless a transform such as face
masking is configured); audio is transcoded to AAC because HLS players (Safari, hls.js on MSE)
expect it. Fragments start on keyframes and last at least ``segment_seconds``; each fragment is
one HLS segment, handed on once the next one has begun (its duration is then known exactly).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from fractions import Fraction
from typing import Any, Protocol

import av
from av.audio.codeccontext import AudioCodecContext
from av.video.codeccontext import VideoCodecContext

from archive.formats.fmp4_boxes import first_track_decode_time
from streaming.errors import HlsError
from streaming.public.fmp4 import FragmentCollector
from streaming.server.feed import RelayedPacket

logger = logging.getLogger(__name__)

VIDEO_TIME_BASE = Fraction(1, 90_000)
AUDIO_RATE = 48_000
_AUDIO_TIME_BASE = Fraction(1, AUDIO_RATE)

InitHandler = Callable[[bytes], None]
SegmentHandler = Callable[[bytes, float], None]  # fragment bytes, duration in seconds


class VideoTransform(Protocol):
    """Rewrites the public video (e.g. masks faces); packets in and out are Annex-B H.264."""

    def process(self, packet: RelayedPacket) -> list[RelayedPacket]: ...

    def flush(self) -> list[RelayedPacket]: ...


class HlsPackager:
    """Feed it relayed packets with :meth:`push`; :meth:`close` emits the last segment.

    Nothing is written before the first video keyframe. Raises HlsError when the stream cannot
    be muxed (the broadcast then restarts its packager).
    """

    def __init__(
        self,
        segment_seconds: float,
        on_init: InitHandler,
        on_segment: SegmentHandler,
        *,
        with_audio: bool,
        transform: VideoTransform | None = None,
    ) -> None:
        self._segment_seconds = segment_seconds
        self._on_init = on_init
        self._on_segment = on_segment
        self._with_audio = with_audio
        self._transform = transform
        self._collector = FragmentCollector()
        self._container: Any = None
        self._video: Any = None
        self._audio: Any = None
        self._opus: AudioCodecContext | None = None
        self._origin_pts: int | None = None
        self._origin_arrival = 0.0
        self._audio_offset: int | None = None
        self._last_video = -1
        self._last_audio = -1
        self._init_sent = False
        self._pending: tuple[bytes, int] | None = None

    @property
    def started(self) -> bool:
        """True once the first keyframe opened the muxer."""
        return self._container is not None

    def push(self, packet: RelayedPacket) -> None:
        """Mux one relayed packet (video packets before the first keyframe are skipped)."""
        try:
            if packet.kind == "video":
                packets = self._transform.process(packet) if self._transform else [packet]
                for video in packets:
                    self._push_video(video)
            elif self.started and self._with_audio:
                self._push_audio(packet)
            self._emit()
        except (av.FFmpegError, ValueError) as exc:
            raise HlsError(f"cannot package the public stream: {exc}") from exc

    def close(self) -> None:
        """Flush the muxer and emit the last segment."""
        if not self.started:
            return
        try:
            if self._transform is not None:
                for video in self._transform.flush():
                    self._push_video(video)
            if self._audio is not None:
                for packet in self._audio.encode(None):
                    self._container.mux(packet)
            self._container.close()
        except (av.FFmpegError, ValueError) as exc:
            raise HlsError(f"cannot finish the public stream: {exc}") from exc
        self._emit()
        if self._pending is not None:
            data, start = self._pending
            frame = 3000  # one frame at 30 fps, in 1/90000: the last frame's own duration
            self._on_segment(data, max(0.001, (self._last_video + frame - start) * float(VIDEO_TIME_BASE)))
            self._pending = None

    def _open(self, keyframe: RelayedPacket) -> None:
        width, height = _picture_size(keyframe.data)
        options = {
            "movflags": "frag_keyframe+empty_moov+default_base_moof",
            "min_frag_duration": str(int(self._segment_seconds * 1_000_000)),
            "flush_packets": "1",
        }
        self._container = av.open(self._collector, "w", format="mp4", options=options)
        self._video = self._container.add_mux_stream(
            "h264", width=width, height=height, time_base=VIDEO_TIME_BASE
        )
        if self._with_audio:
            self._audio = self._container.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
            self._audio.bit_rate = 96_000
            decoder = av.CodecContext.create("opus", "r")
            assert isinstance(decoder, AudioCodecContext)
            self._opus = decoder
        self._origin_pts = round(keyframe.pts * keyframe.time_base / VIDEO_TIME_BASE)
        self._origin_arrival = keyframe.arrival

    def _push_video(self, packet: RelayedPacket) -> None:
        if not self.started:
            if not packet.keyframe:
                return
            self._open(packet)
        assert self._origin_pts is not None
        pts = round(packet.pts * packet.time_base / VIDEO_TIME_BASE) - self._origin_pts
        if pts <= self._last_video:
            return  # the muxer needs increasing timestamps (a late or repeated frame)
        self._last_video = pts
        out = av.Packet(packet.data)
        out.pts = out.dts = pts
        out.time_base = VIDEO_TIME_BASE
        out.is_keyframe = packet.keyframe
        out.stream = self._video
        self._container.mux(out)

    def _push_audio(self, packet: RelayedPacket) -> None:
        assert self._opus is not None and self._audio is not None
        source_pts = round(packet.pts * packet.time_base / _AUDIO_TIME_BASE)
        if self._audio_offset is None:
            # place the first audio packet by its arrival relative to the first keyframe's arrival
            arrival = round((packet.arrival - self._origin_arrival) * AUDIO_RATE)
            self._audio_offset = arrival - source_pts
        pts = source_pts + self._audio_offset
        if pts <= self._last_audio:
            return
        self._last_audio = pts
        encoded = av.Packet(packet.data)
        encoded.pts = pts
        encoded.time_base = _AUDIO_TIME_BASE
        for frame in self._opus.decode(encoded):
            if frame.pts is None or frame.pts < 0:
                continue
            frame.time_base = _AUDIO_TIME_BASE
            for out in self._audio.encode(frame):
                self._container.mux(out)

    def _emit(self) -> None:
        if not self._init_sent and self._collector.init is not None:
            self._init_sent = True
            self._on_init(self._collector.init)
        for fragment in self._collector.take_fragments():
            start = first_track_decode_time(fragment)
            if start is None:
                logger.warning("public packager: fragment without tfdt dropped")
                continue
            if self._pending is not None:
                data, previous = self._pending
                seconds = (start - previous) * float(self._video.time_base)
                self._on_segment(data, seconds)
            self._pending = (fragment, start)


def _picture_size(keyframe: bytes) -> tuple[int, int]:
    """Width and height of an Annex-B keyframe (decodes that one picture)."""
    decoder = av.CodecContext.create("h264", "r")
    assert isinstance(decoder, VideoCodecContext)
    frames = decoder.decode(av.Packet(keyframe))
    frames += decoder.decode(None)
    if not frames:
        raise HlsError("the first keyframe does not decode")
    return frames[0].width, frames[0].height
