"""Packaging a relayed feed into fMP4 HLS segments: H.264 remuxed as received, Opus → AAC.

Runs in a public broadcast's own thread. Video is not re-encoded (unless a transform such as face
masking is configured); audio is transcoded to AAC because HLS players (Safari, hls.js on MSE)
expect it. Fragments start on keyframes once they last ``segment_seconds`` (or a little less, so a
keyframe requested every segment length ends one), and never last longer than
``max_segment_seconds``: the live playlist's target duration is fixed, so a source whose keyframes
come late is cut between keyframes rather than overrunning it. Each fragment is one HLS segment,
handed on once the next one has begun (its duration is then known exactly).

A feed that declares audio always gets an audio track, filled with silence where no sound arrives
(a muted or late microphone): a player whose audio buffer ran dry would stall the picture too. An
audio-only feed is packaged as AAC alone, cut every ``segment_seconds``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

import av
import numpy as np
from av.audio.codeccontext import AudioCodecContext
from av.video.codeccontext import VideoCodecContext

from archive.formats.fmp4_boxes import first_track_decode_time
from streaming.errors import HlsError, StreamRestartError
from streaming.public.codec_strings import AAC_LC, h264_codec_string, sequence_parameter_set
from streaming.public.fmp4 import FragmentCollector
from streaming.relayed import RelayedPacket

logger = logging.getLogger(__name__)

VIDEO_TIME_BASE = Fraction(1, 90_000)
AUDIO_RATE = 48_000
_AUDIO_TIME_BASE = Fraction(1, AUDIO_RATE)
_RESTART_SECONDS = 1.0  # a timestamp this far back is a new publication, not a late packet
_AUDIO_SLACK = AUDIO_RATE // 10  # gaps and overlaps up to 0.1 s are absorbed by restamping
_SILENCE_LAG = AUDIO_RATE // 2  # audio this far behind the picture is filled with silence ...
_SILENCE_MARGIN = AUDIO_RATE // 4  # ... up to this much before it, leaving room for late sound
_SILENCE_CHUNK = 960
_EARLY_CUT = 0.75  # a keyframe after this share of segment_seconds may end a segment


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What a packager's init segment holds: RFC 6381 codecs and the picture size (None: audio only)."""

    codecs: str
    resolution: tuple[int, int] | None


InitHandler = Callable[[bytes, MediaInfo], None]
SegmentHandler = Callable[[bytes, float], None]  # fragment bytes, duration in seconds


class VideoTransform(Protocol):
    """Rewrites the public video (e.g. masks faces); packets in and out are Annex-B H.264."""

    def process(self, packet: RelayedPacket) -> list[RelayedPacket]: ...

    def flush(self) -> list[RelayedPacket]: ...


class HlsPackager:
    """Feed it relayed packets with :meth:`push`; :meth:`close` emits the last segment.

    With video, nothing is written before the first video keyframe; an audio-only packager starts
    at the first audio packet. Raises HlsError when the stream cannot be muxed, and
    StreamRestartError when the feed's timestamps start again or a keyframe brings another SPS than
    the init segment's (both: the broadcast starts a new packager).
    """

    def __init__(
        self,
        segment_seconds: float,
        on_init: InitHandler,
        on_segment: SegmentHandler,
        *,
        with_audio: bool,
        with_video: bool = True,
        max_segment_seconds: float | None = None,
        transform: VideoTransform | None = None,
    ) -> None:
        if not (with_audio or with_video):
            raise ValueError("a packager needs video, audio or both")
        self._segment_seconds = segment_seconds
        self._max_seconds = max_segment_seconds or 2 * segment_seconds
        if self._max_seconds < segment_seconds:
            raise ValueError(f"'max_segment_seconds' must be >= {segment_seconds} (got {self._max_seconds})")
        self._on_init = on_init
        self._on_segment = on_segment
        self._with_audio = with_audio
        self._with_video = with_video
        self._transform = transform
        self._collector = FragmentCollector()
        self._container: Any = None
        self._video: Any = None
        self._audio: Any = None
        self._info: MediaInfo | None = None
        self._sps: bytes | None = None  # the SPS the init segment was made with
        self._opus: AudioCodecContext | None = None
        self._to_stereo = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
        self._origin_pts: int | None = None
        self._origin_arrival = 0.0
        self._audio_offset: int | None = None
        self._audio_end: int | None = None  # where the next audio sample goes (1/48000 s)
        self._last_source: dict[str, int] = {}
        self._last_video = -1
        self._init_sent = False
        self._pending: tuple[bytes, int] | None = None

    @property
    def started(self) -> bool:
        """True once the muxer is open (the first keyframe, or the first audio when audio-only)."""
        return self._container is not None

    def push(self, packet: RelayedPacket) -> None:
        """Mux one relayed packet (video packets before the first keyframe are skipped)."""
        self._check_timeline(packet)
        try:
            if packet.kind == "video" and self._with_video:
                packets = self._transform.process(packet) if self._transform else [packet]
                for video in packets:
                    self._push_video(video)
            elif packet.kind == "audio" and self._with_audio:
                if not self.started and not self._with_video:
                    self._open(None, packet)
                if self.started:
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
            if self._video is not None:
                frame = 3000  # one frame at 30 fps, in 1/90000: the last frame's own duration
                end, time_base = self._last_video + frame, VIDEO_TIME_BASE
            else:
                end, time_base = self._audio_end or start, _AUDIO_TIME_BASE
            seconds = min(self._max_seconds, max(0.001, (end - start) * float(time_base)))
            self._on_segment(data, seconds)
            self._pending = None

    def _check_timeline(self, packet: RelayedPacket) -> None:
        """Raise StreamRestartError when ``packet`` lies well before its kind's last packet."""
        source = round(packet.pts * packet.time_base * AUDIO_RATE)
        last = self._last_source.get(packet.kind)
        if last is not None and source < last - _RESTART_SECONDS * AUDIO_RATE:
            raise StreamRestartError(
                f"the feed's {packet.kind} timestamps went back {(last - source) / AUDIO_RATE:.1f} s "
                "(a new publication)"
            )
        self._last_source[packet.kind] = source

    def _open(self, keyframe: RelayedPacket | None, first: RelayedPacket) -> None:
        cut_at_keyframes = keyframe is not None
        options = {
            "movflags": "empty_moov+default_base_moof" + ("+frag_keyframe" if cut_at_keyframes else ""),
            "frag_duration": str(
                int((self._max_seconds if cut_at_keyframes else self._segment_seconds) * 1e6)
            ),
            "flush_packets": "1",
        }
        if cut_at_keyframes:
            options["min_frag_duration"] = str(int(self._segment_seconds * _EARLY_CUT * 1_000_000))
        self._container = av.open(self._collector, "w", format="mp4", options=options)
        codecs: list[str] = []
        resolution: tuple[int, int] | None = None
        if keyframe is not None:
            resolution = _picture_size(keyframe.data)
            codecs.append(h264_codec_string(keyframe.data))
            self._sps = sequence_parameter_set(keyframe.data)
            self._video = self._container.add_mux_stream(
                "h264", width=resolution[0], height=resolution[1], time_base=VIDEO_TIME_BASE
            )
        if self._with_audio:
            self._audio = self._container.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
            self._audio.bit_rate = 96_000
            decoder = av.CodecContext.create("opus", "r")
            assert isinstance(decoder, AudioCodecContext)
            self._opus = decoder
            codecs.append(AAC_LC)
        self._info = MediaInfo(",".join(codecs), resolution)
        self._origin_pts = round(first.pts * first.time_base / VIDEO_TIME_BASE)
        self._origin_arrival = first.arrival

    def _push_video(self, packet: RelayedPacket) -> None:
        if not self.started:
            if not packet.keyframe:
                return
            self._open(packet, packet)
        elif packet.keyframe:
            sps = sequence_parameter_set(packet.data)
            if sps is not None and sps != self._sps:
                raise StreamRestartError("the feed's H.264 set-up changed (another SPS)")
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
        if self._audio is not None:
            picture_at = round(pts * VIDEO_TIME_BASE * AUDIO_RATE)
            if picture_at - (self._audio_end or 0) > _SILENCE_LAG:
                self._fill_silence(picture_at - _SILENCE_MARGIN)

    def _push_audio(self, packet: RelayedPacket) -> None:
        assert self._opus is not None
        source_pts = round(packet.pts * packet.time_base / _AUDIO_TIME_BASE)
        if self._audio_offset is None:
            if self._video is None:
                self._audio_offset = -source_pts  # audio alone: its first packet starts the timeline
            else:
                # placed by its arrival relative to the first keyframe's arrival
                arrival = round((packet.arrival - self._origin_arrival) * AUDIO_RATE)
                self._audio_offset = arrival - source_pts
        encoded = av.Packet(packet.data)
        encoded.pts = source_pts + self._audio_offset
        encoded.time_base = _AUDIO_TIME_BASE
        for frame in self._opus.decode(encoded):
            if frame.pts is not None:
                self._place_audio(frame.pts, frame)

    def _place_audio(self, at: int, frame: av.AudioFrame) -> None:
        """Encode ``frame`` meant for ``at`` (1/48000 s) right after the audio so far: a short gap or
        overlap is absorbed, a longer gap filled with silence, a frame wholly in the past dropped."""
        end = self._audio_end or 0
        if at + frame.samples <= end - _AUDIO_SLACK or at + frame.samples <= 0:
            return
        if at > end + _AUDIO_SLACK:
            self._fill_silence(at)
        for stereo in self._to_stereo.resample(frame):
            self._encode_audio(stereo)

    def _fill_silence(self, until: int) -> None:
        while (self._audio_end or 0) < until:
            samples = min(_SILENCE_CHUNK, until - (self._audio_end or 0))
            silence = av.AudioFrame.from_ndarray(
                np.zeros((2, samples), dtype=np.float32), format="fltp", layout="stereo"
            )
            silence.sample_rate = AUDIO_RATE
            self._encode_audio(silence)

    def _encode_audio(self, frame: av.AudioFrame) -> None:
        frame.pts = self._audio_end or 0
        frame.time_base = _AUDIO_TIME_BASE
        self._audio_end = frame.pts + frame.samples
        for out in self._audio.encode(frame):
            self._container.mux(out)

    def _emit(self) -> None:
        if not self._init_sent and self._collector.init is not None:
            assert self._info is not None
            self._init_sent = True
            self._on_init(self._collector.init, self._info)
        main = self._video if self._video is not None else self._audio
        for fragment in self._collector.take_fragments():
            start = first_track_decode_time(fragment)
            if start is None:
                logger.warning("public packager: fragment without tfdt dropped")
                continue
            if self._pending is not None:
                data, previous = self._pending
                self._on_segment(data, (start - previous) * float(main.time_base))
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
