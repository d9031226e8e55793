"""A body camera on standby: one stream's source is read, captioned and encoded as it would be
recording, but the packets go only into the in-memory pre-event ring (and, when the policy allows,
the last seconds of sound into memory as well). Nothing is written to disk or sent anywhere.

On activation :meth:`StandbyEncoder.handover` stops the thread and hands the open encoder and the
buffer to the recording's stream (see :mod:`capture.recording.stream.pre_event`).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import datetime, timedelta
from fractions import Fraction

import av
from av.video.codeccontext import VideoCodecContext

from capture.bodycam.continuing_source import ContinuingSource
from capture.bodycam.pre_event_ring import PreEventRing
from capture.errors import CaptureError
from capture.recording.stream.encoder import open_video_encoder
from capture.recording.stream.overlay import Overlay
from capture.recording.stream.packet_tap import EncodedVideoPacket
from capture.recording.stream.pre_event import PreEventHandover
from capture.recording.stream.stream_pipeline import StreamSettings, video_encoder_config
from devices import DevicesError
from timebase import Clock

logger = logging.getLogger(__name__)

HANDOVER_WAIT_SECONDS = 2.0
"""How long an activation waits for the standby thread to finish the picture in hand; a source that
gives nothing for that long (a stalled camera) is closed and the recording opens it afresh."""


class StandbyEncoder:
    """Keeps the last ``seconds`` of ``source``'s pictures encoded in memory until handed over."""

    def __init__(
        self,
        name: str,
        source: ContinuingSource,
        settings: StreamSettings,
        *,
        seconds: float,
        keep_audio: bool,
        clock: Clock,
    ) -> None:
        fmt = source.video
        if fmt is None:
            raise CaptureError(f"stream {name}: a pre-event buffer needs a video source")
        self.name = name
        self._source = source
        self._fps = fmt.fps
        self._clock = clock
        self._ring = PreEventRing(seconds)
        self._keep_audio = keep_audio and source.audio is not None
        self._audio: deque[av.AudioFrame] = deque()
        # when each recent picture was read (encoder pts, wall time): the buffer's first picture is
        # timed by its own reading, not by counting frames from the start of a standby of hours
        self._read_at: deque[tuple[int, datetime]] = deque()
        self._encoder: VideoCodecContext = open_video_encoder(video_encoder_config(fmt, settings))
        self._overlay = Overlay(fmt.width, fmt.height, settings.caption)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{name}-standby", daemon=True)
        self._origin_source: float | None = None  # source seconds of encoder pts 0
        self._origin_utc = clock.now()
        self._last_pts = -1
        self.failure: str | None = None

    def start(self) -> None:
        self._thread.start()

    @property
    def buffered_bytes(self) -> int:
        return self._ring.size_bytes

    @property
    def encoded_seconds(self) -> float:
        """Seconds of pictures encoded since the standby began (most of them long dropped)."""
        return float((self._last_pts + 1) / self._fps)

    @property
    def stuck(self) -> bool:
        """The standby thread did not stop when asked (its source gave no picture): the source must
        not be handed on, the recording opens it again."""
        return self._thread.is_alive()

    def handover(self, activated_at: datetime) -> PreEventHandover | None:
        """Stop buffering; the encoder and buffer for the recording's stream, or None when no
        keyframe is buffered yet, the source failed, or it gave no picture for
        HANDOVER_WAIT_SECONDS (then :attr:`stuck`): the stream then starts afresh."""
        self._stop.set()
        self._thread.join(HANDOVER_WAIT_SECONDS)
        if self.stuck:
            logger.error("stream %s: the source gave no picture at the activation; reopening it", self.name)
            self._source.close()  # wakes the standby thread (see devices.Source.close)
            self._ring.clear()
            return None
        packets = self._ring.snapshot()
        self._ring.clear()
        if not packets or self._origin_source is None:
            return None
        offset = packets[0].pts
        start_seconds = Fraction(offset) / self._fps
        source_origin = self._origin_source + float(start_seconds)
        counted = self._origin_utc + timedelta(seconds=float(start_seconds))
        origin_utc = next((at for pts, at in self._read_at if pts == offset), counted)
        audio = tuple(f for f in self._audio if _seconds(f) >= source_origin)
        self._audio.clear()
        return PreEventHandover(
            encoder=self._encoder,
            packets=packets,
            pts_offset=offset,
            next_pts=self._last_pts + 1,
            source_origin_seconds=source_origin,
            origin_utc=origin_utc,
            activated_seconds=max(0.0, (activated_at - origin_utc).total_seconds()),
            audio=audio,
        )

    def discard(self) -> None:
        """Stop and forget the buffer (the agent is shutting down without an activation)."""
        self._stop.set()
        self._thread.join()
        self._ring.clear()
        self._audio.clear()

    def _run(self) -> None:
        try:
            for frame in self._source.frames():
                if isinstance(frame, av.VideoFrame):
                    self._encode(frame)
                elif self._keep_audio:
                    self._keep(frame)
                if self._stop.is_set():  # after the frame in hand: the stream goes on with the next
                    return
            logger.warning("stream %s: the source ended on standby", self.name)
        except DevicesError as exc:
            self.failure = str(exc)
            logger.error("stream %s: the source failed on standby (%s)", self.name, exc)

    def _encode(self, frame: av.VideoFrame) -> None:
        seconds = _seconds(frame)
        if self._origin_source is None:
            self._origin_source = seconds
            self._origin_utc = self._clock.now()
        media = seconds - self._origin_source
        pts = round(media * self._fps)
        if pts <= self._last_pts:
            return  # a late or repeated picture: the encoder needs increasing timestamps
        self._last_pts = pts
        self._read_at.append((pts, self._clock.now()))
        horizon = pts - (self._ring.seconds + 2) * self._fps  # the ring spans at most N + one GOP
        while self._read_at and self._read_at[0][0] < horizon:
            self._read_at.popleft()
        stamped = self._overlay.apply(frame, self._origin_utc + timedelta(seconds=media))
        stamped.pts = pts
        stamped.time_base = Fraction(1) / self._fps
        for packet in self._encoder.encode(stamped):
            self._ring.add(
                EncodedVideoPacket(
                    data=bytes(packet),
                    pts=int(packet.pts or 0),
                    time_base=packet.time_base,
                    keyframe=packet.is_keyframe,
                )
            )

    def _keep(self, frame: av.AudioFrame) -> None:
        self._audio.append(frame)
        horizon = _seconds(frame) - self._ring.seconds - 2  # the ring spans at most N + one GOP
        while self._audio and _seconds(self._audio[0]) < horizon:
            self._audio.popleft()


def _seconds(frame: av.VideoFrame | av.AudioFrame) -> float:
    return float(frame.pts * frame.time_base) if frame.pts is not None and frame.time_base else 0.0
