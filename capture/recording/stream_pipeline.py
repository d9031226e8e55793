"""One recorded source: source frames → health checks → overlay → encode once → mux → segments.

Each source is recorded into CMAF track files of one track each (docs/FORMATS.md): its pictures
into the stream named after the source, its sound into ``<source>.audio`` (or into the source's own
name when it has no pictures) — one muxer and one segmenter per track, cut on the same time grid.

Two named threads per source: a reader that pulls frames from the (blocking) source into a bounded
queue and reopens the source when it fails, and the media thread that does all PyAV work. Nothing
here touches the asyncio loop.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import av

from archive.formats import track_streams
from archive.spool import SealedFile
from capture.recording.encoder import VideoEncoderConfig, VideoEncoderName, open_video_encoder
from capture.recording.overlay import Overlay
from capture.recording.overload import JournaledOverload, OverloadWatch, utc_after
from capture.recording.packet_tap import EncodedVideoPacket, LatestSlot, PacketTap
from capture.recording.pre_event import PreEventHandover
from capture.recording.segmenter import CmafSegmenter, SegmentInfo
from capture.space.spool_space import is_disk_full
from devices import (
    DevicesError,
    HealthCondition,
    HealthEvent,
    HealthMonitor,
    HealthThresholds,
    Source,
    VideoFormat,
)
from timebase import Clock, SystemClock

logger = logging.getLogger(__name__)

_MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof+delay_moov+skip_trailer+cmaf"  # cmaf: the cmfc brand
_AUDIO_RATE = 48000
_CHUNK_US = "200000"
"""CMAF chunk length (µs): bytes reach the disk every ~200 ms, so a crash loses little (keyframes,
and so segment starts, stay one GOP apart: ``frag_keyframe`` also starts a chunk at each)."""
_END = object()
_VIDEO_CHECK_INTERVAL_SECONDS = 0.095
_REOPEN_DELAY_SECONDS = 1.0
_RESTART_DELAY_SECONDS = 0.5  # doubling while the worker keeps failing quickly, up to the cap
_MAX_RESTART_DELAY_SECONDS = 30.0
_HEALTHY_RUN_SECONDS = 60.0
KEYFRAME_REQUEST_SECONDS = 3.0
"""At most one forced keyframe per this many seconds: each bends the segment cuts a little (the
segmenter cuts at the first fragment at or past the boundary, so segments just run a bit long)."""


class StreamEvents(Protocol):
    """What a stream reports to its recording (implemented by the recorder, which journals it)."""

    def init_ready(self, stream: str, init_segment: bytes) -> None: ...

    def segment_sealed(
        self, stream: str, sealed: SealedFile, info: SegmentInfo, start_utc: datetime, end_utc: datetime
    ) -> None: ...

    def health_changed(self, stream: str, condition: HealthCondition, active: bool, at: datetime) -> None: ...

    def gap(self, stream: str, start: datetime, end: datetime, reason: str) -> None: ...

    def origin(self, stream: str, origin_utc: datetime) -> None:
        """A run's media time 0 is ``origin_utc``; called before any of its media is written."""
        ...

    def stream_failed(self, stream: str, message: str, at: datetime) -> int:
        """Record a failure of the stream's media work; returns the segment number to go on with."""
        ...


DiskFullHandler = Callable[
    [tuple[str, ...], BaseException, datetime, threading.Event, Callable[[], bool]], dict[str, int] | None
]
"""Called by a source whose media work failed on a full disk, with (its streams, error, when, stop,
idle): waits for space (calling ``idle()`` to drop frames; True from it means the source ended),
journals the episode and returns the segment number each stream goes on with, or None to end."""


@dataclass(frozen=True, slots=True)
class StreamSettings:
    """How one stream is encoded and cut."""

    segment_seconds: float = 6.0
    encoder: VideoEncoderName = VideoEncoderName.LIBX264
    preset: str = "veryfast"
    video_bitrate: int | None = None
    max_video_bitrate: int | None = None  # bits/s: a cap on the encoder's rate (x264 VBV), e.g. bodycams
    low_delay: bool = False  # set when the stream is also published live
    audio_bitrate: int = 64_000
    caption: str = ""
    thresholds: HealthThresholds = field(default_factory=HealthThresholds)


def video_encoder_config(fmt: VideoFormat, settings: StreamSettings) -> VideoEncoderConfig:
    """How a stream of picture format ``fmt`` is encoded (shared by a body camera's standby, whose
    encoder the stream goes on with)."""
    return VideoEncoderConfig(
        width=fmt.width,
        height=fmt.height,
        fps=fmt.fps,
        encoder=settings.encoder,
        preset=settings.preset,
        bitrate=settings.video_bitrate,
        max_bitrate=settings.max_video_bitrate,
        low_delay=settings.low_delay,
    )


class StreamPipeline:
    """Records one source named ``name`` into sealed CMAF segments, one track file per track, each in
    ``stream_dir(stream)`` (see :attr:`streams`); ``first_seq`` gives each stream's first segment
    number (default 1). Times (segment and health stamps: wall; restart back-off and health timing:
    monotonic) come from ``clock``. Health alarms are the source's (journaled under ``name``)."""

    def __init__(
        self,
        name: str,
        open_source: Callable[[], Source],
        stream_dir: Callable[[str], Path],
        events: StreamEvents,
        *,
        first_seq: dict[str, int],
        settings: StreamSettings,
        clock: Clock | None = None,
        on_disk_full: DiskFullHandler | None = None,
        pre_event: PreEventHandover | None = None,
    ) -> None:
        """``pre_event``: a body camera's standby encoder and buffer; the first media worker goes on
        with that encoder and writes the buffer first (a restarted worker starts afresh)."""
        self._clock: Clock = clock or SystemClock()
        self._pre_event = pre_event
        self._on_disk_full = on_disk_full
        self.name = name
        self._open_source = open_source
        self._source = open_source()
        self._stream_dir = stream_dir
        self._events = events
        self._settings = settings
        self._first_seq = first_seq
        self._frames: queue.Queue[object] = queue.Queue(maxsize=64)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._media_thread: threading.Thread | None = None
        self.video_packets: PacketTap[EncodedVideoPacket] = PacketTap()
        self.audio_frames: PacketTap[av.AudioFrame] = PacketTap()  # 48 kHz fltp, as fed to the AAC encoder
        self.latest_picture: LatestSlot[av.VideoFrame] = LatestSlot()  # as encoded (overlay burnt in)
        self._keyframe_wanted = threading.Event()
        self.failure: BaseException | None = None
        self.has_video = self._source.video is not None
        self.has_audio = self._source.audio is not None
        self.video_stream, self.audio_stream = track_streams(name, video=self.has_video, audio=self.has_audio)

    @property
    def streams(self) -> tuple[str, ...]:
        """The streams (track files) this source is recorded into: video first, then sound."""
        return tuple(stream for stream in (self.video_stream, self.audio_stream) if stream is not None)

    def start(self) -> None:
        """Start the reader and media threads."""
        for stream in self.streams:
            self._stream_dir(stream).mkdir(parents=True, exist_ok=True)
        self._media_thread = threading.Thread(target=self._run_media, name=f"{self.name}-media", daemon=True)
        reader = threading.Thread(target=self._read_frames, name=f"{self.name}-reader", daemon=True)
        self._threads = [reader, self._media_thread]
        for thread in self._threads:
            thread.start()

    def request_keyframe(self) -> None:
        """Ask for the next video frame to be a keyframe (for a live viewer); thread-safe, never blocks.

        Honoured at most once per KEYFRAME_REQUEST_SECONDS; requests in between are dropped (the
        fixed 1 s GOP brings a keyframe soon anyway).
        """
        self._keyframe_wanted.set()

    def stop(self) -> None:
        """Stop reading, flush the encoders and seal the last segment; blocks until done."""
        self._stop.set()
        self._source.close()
        for thread in self._threads:
            thread.join()

    def _read_frames(self) -> None:
        source = self._source
        while not self._stop.is_set():
            try:
                for frame in source.frames():
                    if self._stop.is_set():
                        break
                    self._hand_over(frame)
                else:
                    logger.info("stream %s: source ended", self.name)
                    break
            except DevicesError as exc:
                logger.error("stream %s: source failed (%s); reopening", self.name, exc)
                source.close()
                reopened = self._reopen()
                if reopened is None:
                    break
                source = self._source = reopened
        self._hand_over(_END)

    def _hand_over(self, item: object) -> None:
        """Queue ``item`` for the media thread; gives up only when stopping and nobody reads."""
        while True:
            try:
                self._frames.put(item, timeout=0.25)
                return
            except queue.Full:
                media = self._media_thread
                if self._stop.is_set() and (media is None or not media.is_alive()):
                    return

    def _reopen(self) -> Source | None:
        while not self._clock.wait(self._stop, _REOPEN_DELAY_SECONDS):
            try:
                return self._open_source()
            except DevicesError as exc:
                logger.warning("stream %s: cannot reopen source yet (%s)", self.name, exc)
        return None

    def _run_media(self) -> None:
        """Supervise the media worker: a failed worker is journaled and replaced, so the hearing
        goes on being recorded (what the failed worker had written is salvaged, never dropped)."""
        first_seq = {stream: self._first_seq.get(stream, 1) for stream in self.streams}
        failures = 0
        while True:
            worker: _MediaWorker | None = None
            started = self._clock.monotonic()
            try:
                worker = _MediaWorker(self, first_seq)
                worker.run()
                return
            except Exception as exc:  # the media thread's supervisor: journal, salvage, restart
                disk_full = self._on_disk_full is not None and is_disk_full(exc)
                if disk_full:  # expected and alarmed: no traceback
                    logger.critical("stream %s: recording failed: the spool is full (%s)", self.name, exc)
                else:
                    logger.exception("stream %s: recording failed", self.name)
                self.failure = exc
                if worker is not None:
                    with contextlib.suppress(OSError):  # closing the torn file fails too on a full disk
                        worker.abandon()
                at = self._clock.now()
                if disk_full and self._on_disk_full is not None:
                    resumed = self._on_disk_full(self.streams, exc, at, self._stop, self._drop_frames)
                    if resumed is None:
                        return
                    first_seq, failures = resumed, 0
                    continue
                message = f"{type(exc).__name__}: {exc}"
                first_seq = {
                    stream: self._events.stream_failed(stream, message, at) for stream in self.streams
                }
                failures = 1 if self._clock.monotonic() - started > _HEALTHY_RUN_SECONDS else failures + 1
                delay = min(_MAX_RESTART_DELAY_SECONDS, _RESTART_DELAY_SECONDS * 2 ** (failures - 1))
                if (worker is not None and worker.saw_end) or self._clock.wait(self._stop, delay):
                    return

    def _take_pre_event(self) -> PreEventHandover | None:
        handover, self._pre_event = self._pre_event, None
        return handover

    def _drop_frames(self) -> bool:
        """Drop the frames waiting for a media thread that cannot record them; True when the source
        ended (or the stream is stopping)."""
        while True:
            try:
                item = self._frames.get_nowait()
            except queue.Empty:
                return self._stop.is_set()
            if item is _END:
                return True


class _TrackFile:
    """One CMAF track file being written: a muxer of one track and the segmenter it writes into."""

    def __init__(self, worker: _MediaWorker, stream: str, first_seq: int) -> None:
        pipeline = worker._p
        self.stream = stream
        self.segmenter = CmafSegmenter(
            pipeline._stream_dir(stream),
            first_seq=first_seq,
            segment_seconds=pipeline._settings.segment_seconds,
            on_init=lambda data: pipeline._events.init_ready(stream, data),
            on_segment=lambda sealed, info: worker._segment_sealed(stream, sealed, info),
        )
        options = {"movflags": _MOVFLAGS, "flush_packets": "1", "frag_duration": _CHUNK_US}
        self.container = av.open(self.segmenter, "w", format="mp4", options=options)
        self.end_seconds = 0.0

    def close(self) -> None:
        """Flush the muxer and seal the open segment."""
        self.container.close()
        self.segmenter.finish(self.end_seconds)


class _MediaWorker:
    """Owns every PyAV object of one source; lives and dies in the media thread."""

    def __init__(self, pipeline: StreamPipeline, first_seq: dict[str, int]) -> None:
        self._p = pipeline
        settings = pipeline._settings
        self._tracks: list[_TrackFile] = []
        for stream in pipeline.streams:
            self._tracks.append(_TrackFile(self, stream, first_seq[stream]))
        self._health = HealthMonitor(
            has_video=pipeline.has_video,
            has_audio=pipeline.has_audio,
            thresholds=settings.thresholds,
            now=self._p._clock.monotonic(),
        )
        self.saw_end = False
        self._last_video_check = -_VIDEO_CHECK_INTERVAL_SECONDS
        self._origin_seconds: float | None = None
        self._origin_utc = self._p._clock.now()
        self._origin_mono = self._p._clock.monotonic()
        self._last_frame_utc = self._origin_utc
        self._last_frame_mono = self._origin_mono
        self._overload = OverloadWatch(
            JournaledOverload(
                pipeline.name, pipeline._events, utc_after(lambda: self._origin_utc), pipeline._clock.now
            ),
            stall_seconds=settings.thresholds.no_frames_seconds,
        )
        self._pts_offset = 0  # encoder pts of media time 0 (not 0 only after a pre-event handover)
        self._activated_seconds: float | None = None
        handover = pipeline._take_pre_event()
        self._video_setup(settings, handover)
        self._audio_setup(settings)
        if handover is not None:
            self._write_pre_event(handover)

    def _track(self, stream: str | None) -> _TrackFile:
        return next(track for track in self._tracks if track.stream == stream)

    def _video_setup(self, settings: StreamSettings, handover: PreEventHandover | None) -> None:
        fmt = self._p._source.video
        self._encoder = None
        if fmt is None:
            return
        self._video_file = self._track(self._p.video_stream)
        if handover is None:
            self._encoder = open_video_encoder(video_encoder_config(fmt, settings))
        else:
            self._encoder = handover.encoder
        self._fps = fmt.fps
        # the mux stream takes SPS/PPS from the first (Annex-B) packet to build the avcC box
        self._video_stream = self._video_file.container.add_mux_stream(
            "h264", rate=fmt.fps, width=fmt.width, height=fmt.height, time_base=Fraction(1) / fmt.fps
        )
        self._overlay = Overlay(fmt.width, fmt.height, settings.caption)
        self._last_video_pts = -1
        self._last_forced_keyframe = -KEYFRAME_REQUEST_SECONDS

    def _audio_setup(self, settings: StreamSettings) -> None:
        fmt = self._p._source.audio
        self._audio_stream = None
        if fmt is None:
            return
        layout = "mono" if fmt.channels == 1 else "stereo"
        self._audio_file = self._track(self._p.audio_stream)
        self._audio_stream = self._audio_file.container.add_stream("aac", rate=_AUDIO_RATE, layout=layout)
        self._audio_stream.bit_rate = settings.audio_bitrate
        self._resampler = av.AudioResampler(format="fltp", layout=layout, rate=_AUDIO_RATE, frame_size=1024)
        self._audio_next = 0

    def _write_pre_event(self, handover: PreEventHandover) -> None:
        """Mux the standby's buffered pictures as the recording's first media (never sent live:
        live starts at the activation) and go on from the standby's timeline."""
        self._pts_offset = handover.pts_offset
        self._activated_seconds = handover.activated_seconds
        self._origin_seconds = handover.source_origin_seconds
        self._origin_utc = handover.origin_utc
        for stream in self._p.streams:  # every track file of the source starts at the buffer's start
            self._p._events.origin(stream, self._origin_utc)
        if self._encoder is None:
            return
        self._last_video_pts = handover.next_pts - 1 - handover.pts_offset
        packets: list[av.Packet[Any]] = []
        for buffered in handover.packets:
            packet = av.Packet(buffered.data)
            packet.pts = packet.dts = buffered.pts
            packet.time_base = buffered.time_base
            packet.is_keyframe = buffered.keyframe
            packets.append(packet)
        self._mux_video(packets, live=False)
        self._video_file.end_seconds = float((self._last_video_pts + 1) / self._fps)
        for sound in handover.audio:
            if self._audio_stream is not None:
                self._audio(sound)

    def run(self) -> None:
        frames = self._p._frames
        while True:
            try:
                item = frames.get(timeout=0.25)
            except queue.Empty:
                self._health_events(self._health.tick(self._p._clock.monotonic()))
                continue
            if item is _END:
                self.saw_end = True
                break
            if isinstance(item, av.VideoFrame) and self._encoder is not None:
                self._observe_video(item)
                self._video(item)
            elif isinstance(item, av.AudioFrame) and self._audio_stream is not None:
                self._health_events(self._health.observe_audio(item, self._p._clock.monotonic()))
                self._audio(item)
            self._last_frame_utc = self._p._clock.now()
            self._last_frame_mono = self._p._clock.monotonic()
        self._flush()

    def _observe_video(self, frame: av.VideoFrame) -> None:
        """Health-check at most ~10 pictures a second: black and frozen pictures are judged over
        seconds, so looking at every picture of a 30 fps camera only costs CPU."""
        now = self._p._clock.monotonic()
        if now - self._last_video_check >= _VIDEO_CHECK_INTERVAL_SECONDS:
            self._last_video_check = now
            self._health_events(self._health.observe_video(frame, now))

    def abandon(self) -> None:
        """Give up after a failure: close the open segment's file as it is (whole fragments plus
        perhaps a torn one) for the leftovers salvage, and write nothing more."""
        for track in self._tracks:
            track.segmenter.abandon()

    def _media_seconds(self, frame: av.VideoFrame | av.AudioFrame) -> float:
        seconds = float(frame.pts * frame.time_base) if frame.pts is not None and frame.time_base else 0.0
        if self._origin_seconds is None:
            self._origin_seconds = seconds
            self._origin_utc = self._p._clock.now()
            for stream in self._p.streams:
                self._p._events.origin(stream, self._origin_utc)
        return seconds - self._origin_seconds

    def _video(self, frame: av.VideoFrame) -> None:
        assert self._encoder is not None
        seconds = self._media_seconds(frame)
        now = self._p._clock.monotonic()
        self._overload.frame(seconds, now, self._p._frames.qsize())
        pts = round(seconds * self._fps)
        if not self._overload.video_frame(pts, self._last_video_pts, float(self._fps), now):
            return  # a duplicate or late frame (journaled): the encoder needs increasing timestamps
        self._last_video_pts = pts
        stamped = self._overlay.apply(frame, self._origin_utc + timedelta(seconds=seconds))
        stamped.pts = pts + self._pts_offset
        stamped.time_base = Fraction(1) / self._fps
        if self._p._keyframe_wanted.is_set():
            self._p._keyframe_wanted.clear()
            now = self._p._clock.monotonic()
            if now - self._last_forced_keyframe >= KEYFRAME_REQUEST_SECONDS:
                self._last_forced_keyframe = now
                stamped.pict_type = av.video.frame.PictureType.I
        self._mux_video(self._encoder.encode(stamped))
        self._p.latest_picture.put(stamped, now)  # the encoder is done with it: nobody changes it now
        self._video_file.end_seconds = max(self._video_file.end_seconds, float((pts + 1) / self._fps))

    def _mux_video(self, packets: list[av.Packet[Any]], *, live: bool = True) -> None:
        for packet in packets:
            if self._pts_offset and packet.pts is not None:
                packet.pts -= self._pts_offset
                packet.dts = packet.pts if packet.dts is None else packet.dts - self._pts_offset
            if not live:
                packet.stream = self._video_stream
                self._video_file.container.mux(packet)
                continue
            self._p.video_packets.publish(
                EncodedVideoPacket(
                    data=bytes(packet),
                    pts=int(packet.pts or 0),
                    time_base=packet.time_base,
                    keyframe=packet.is_keyframe,
                )
            )
            packet.stream = self._video_stream
            self._video_file.container.mux(packet)

    def _audio(self, frame: av.AudioFrame) -> None:
        assert self._audio_stream is not None
        seconds = self._media_seconds(frame)
        self._overload.frame(seconds, self._p._clock.monotonic(), self._p._frames.qsize())
        arrival = round(seconds * _AUDIO_RATE)
        if arrival > self._audio_next + _AUDIO_RATE // 5:
            self._audio_next = arrival  # the source stalled: leave the gap in the timeline
        frame.pts = None
        for resampled in self._resampler.resample(frame):
            self._encode_audio(resampled)

    def _encode_audio(self, frame: av.AudioFrame | None) -> None:
        assert self._audio_stream is not None
        if frame is not None:
            frame.pts = self._audio_next
            frame.time_base = Fraction(1, _AUDIO_RATE)
            self._audio_next += frame.samples
            self._p.audio_frames.publish(frame)
            self._audio_file.end_seconds = max(self._audio_file.end_seconds, self._audio_next / _AUDIO_RATE)
        for packet in self._audio_stream.encode(frame):
            self._audio_file.container.mux(packet)

    def _flush(self) -> None:
        self._overload.flush()
        if self._encoder is not None:
            self._mux_video(self._encoder.encode(None))
        if self._audio_stream is not None:
            for resampled in self._resampler.resample(None):
                self._encode_audio(resampled)
            self._encode_audio(None)
        for track in self._tracks:
            track.close()

    def _segment_sealed(self, stream: str, sealed: SealedFile, info: SegmentInfo) -> None:
        if self._activated_seconds is not None and info.start_seconds < self._activated_seconds:
            info = dataclasses.replace(info, pre_event=True)
        start = self._origin_utc + timedelta(seconds=info.start_seconds)
        end = self._origin_utc + timedelta(seconds=info.end_seconds)
        self._p._events.segment_sealed(stream, sealed, info, start, end)

    def _health_events(self, events: list[HealthEvent]) -> None:
        now_mono = self._p._clock.monotonic()
        now_utc = self._p._clock.now()
        for event in events:
            at = now_utc - timedelta(seconds=max(0.0, now_mono - event.at))
            self._p._events.health_changed(self._p.name, event.condition, event.active, at)
            if event.condition == HealthCondition.NO_FRAMES and not event.active:
                # the gap's length is monotonic time: a wall-clock step inside it changes nothing
                since = now_utc - timedelta(seconds=max(0.0, now_mono - self._last_frame_mono))
                for stream in self._p.streams:  # every track of the source has the hole
                    self._p._events.gap(stream, since, at, "source gave no frames")
