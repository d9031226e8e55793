"""The media work of one recorded source: health checks, overlay, encode once, mux each track into
its CMAF track file and cut segments. A MediaWorker owns every PyAV object of one source and lives
and dies in the source's media thread (the pipeline's supervisor replaces a failed one)."""

from __future__ import annotations

import dataclasses
import queue
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import av

from archive.spool import SealedFile
from capture.recording.stream.audio_timeline import AudioTimeline, SampleGap
from capture.recording.stream.encoder import open_video_encoder
from capture.recording.stream.overlay import Overlay
from capture.recording.stream.overload import JournaledOverload, OverloadWatch, utc_after
from capture.recording.stream.packet_tap import EncodedVideoPacket
from capture.recording.stream.pre_event import PreEventHandover
from capture.recording.stream.segmenter import CmafSegmenter, SegmentInfo, muxer_options
from capture.recording.stream.stream_settings import StreamSettings, video_encoder_config
from capture.recording.stream.video_timeline import FrameGap, VideoTimeline
from devices import HealthCondition, HealthEvent, HealthMonitor

if TYPE_CHECKING:
    from capture.recording.stream.stream_pipeline import StreamPipeline

_AUDIO_RATE = 48000


@dataclass(frozen=True, slots=True)
class SourceResumed:
    """Queued by the reader when it reopened a failed source, ``away_seconds`` (monotonic) after
    the failure: the source's timestamps may start again, so its sound and pictures are placed by this."""

    away_seconds: float


END_OF_FRAMES = object()
"""Queued after a source's last frame: the media worker flushes and seals."""
_VIDEO_CHECK_INTERVAL_SECONDS = 0.095
KEYFRAME_REQUEST_SECONDS = 3.0
"""At most one forced keyframe per this many seconds: each bends the segment cuts a little (the
segmenter cuts at the first fragment at or past the boundary, so segments just run a bit long)."""


class TrackFile:
    """One CMAF track file being written: a muxer of one track and the segmenter it writes into."""

    def __init__(self, worker: MediaWorker, stream: str, first_seq: int) -> None:
        pipeline = worker._p
        self.stream = stream
        self.segmenter = CmafSegmenter(
            pipeline.stream_dir(stream),
            first_seq=first_seq,
            segment_seconds=pipeline.settings.segment_seconds,
            on_init=lambda data: pipeline.events.init_ready(stream, data),
            on_segment=lambda sealed, info: worker._segment_sealed(stream, sealed, info),
        )
        self.container = av.open(self.segmenter, "w", format="mp4", options=muxer_options())
        self.end_seconds = 0.0

    def close(self) -> None:
        """Flush the muxer and seal the open segment."""
        self.container.close()
        self.segmenter.finish(self.end_seconds)


class MediaWorker:
    """Owns every PyAV object of one source; lives and dies in the media thread."""

    def __init__(self, pipeline: StreamPipeline, first_seq: dict[str, int]) -> None:
        self._p = pipeline
        settings = pipeline.settings
        self._tracks: list[TrackFile] = []
        for stream in pipeline.streams:
            self._tracks.append(TrackFile(self, stream, first_seq[stream]))
        self._health = HealthMonitor(
            has_video=pipeline.has_video,
            has_audio=pipeline.has_audio,
            thresholds=settings.thresholds,
            now=self._p.clock.monotonic(),
        )
        self.saw_end = False
        self._last_video_check = -_VIDEO_CHECK_INTERVAL_SECONDS
        self._origin_seconds: float | None = None
        self._origin_utc = self._p.clock.now()
        self._origin_mono = self._p.clock.monotonic()
        self._last_frame_utc = self._origin_utc
        self._last_frame_mono = self._origin_mono
        self._overload = OverloadWatch(
            JournaledOverload(
                pipeline.name, pipeline.events, utc_after(lambda: self._origin_utc), pipeline.clock.now
            ),
            stall_seconds=settings.thresholds.no_frames_seconds,
        )
        self._pts_offset = 0  # encoder pts of media time 0 (not 0 only after a pre-event handover)
        self._activated_seconds: float | None = None
        handover = pipeline.take_pre_event()
        self._video_setup(settings, handover)
        self._audio_setup(settings)
        if handover is not None:
            self._write_pre_event(handover)

    def _track(self, stream: str | None) -> TrackFile:
        return next(track for track in self._tracks if track.stream == stream)

    def _video_setup(self, settings: StreamSettings, handover: PreEventHandover | None) -> None:
        fmt = self._p.source.video
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
        self._video_timeline = VideoTimeline(float(fmt.fps))
        self._last_forced_keyframe = -KEYFRAME_REQUEST_SECONDS

    def _audio_setup(self, settings: StreamSettings) -> None:
        fmt = self._p.source.audio
        self._audio_stream = None
        if fmt is None:
            return
        layout = "mono" if fmt.channels == 1 else "stereo"
        self._audio_file = self._track(self._p.audio_stream)
        self._audio_stream = self._audio_file.container.add_stream("aac", rate=_AUDIO_RATE, layout=layout)
        self._audio_stream.bit_rate = settings.audio_bitrate
        self._resampler = av.AudioResampler(format="fltp", layout=layout, rate=_AUDIO_RATE, frame_size=1024)
        self._audio_timeline = AudioTimeline(_AUDIO_RATE)

    def _write_pre_event(self, handover: PreEventHandover) -> None:
        """Mux the standby's buffered pictures as the recording's first media (never sent live:
        live starts at the activation) and go on from the standby's timeline."""
        self._pts_offset = handover.pts_offset
        self._activated_seconds = handover.activated_seconds
        self._origin_seconds = handover.source_origin_seconds
        self._origin_utc = handover.origin_utc
        for stream in self._p.streams:  # every track file of the source starts at the buffer's start
            self._p.events.origin(stream, self._origin_utc)
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
        frames = self._p.frames
        while True:
            try:
                item = frames.get(timeout=0.25)
            except queue.Empty:
                self._health_events(self._health.tick(self._p.clock.monotonic()))
                continue
            if item is END_OF_FRAMES:
                self.saw_end = True
                break
            if isinstance(item, SourceResumed):
                if self._audio_stream is not None:
                    self._audio_timeline.resume(item.away_seconds)
                if self._encoder is not None:
                    self._video_timeline.resume(item.away_seconds)
                continue
            if isinstance(item, av.VideoFrame) and self._encoder is not None:
                self._observe_video(item)
                self._video(item)
            elif isinstance(item, av.AudioFrame) and self._audio_stream is not None:
                self._health_events(self._health.observe_audio(item, self._p.clock.monotonic()))
                self._audio(item)
            self._last_frame_utc = self._p.clock.now()
            self._last_frame_mono = self._p.clock.monotonic()
        self._flush()

    def _observe_video(self, frame: av.VideoFrame) -> None:
        """Health-check at most ~10 pictures a second: black and frozen pictures are judged over
        seconds, so looking at every picture of a 30 fps camera only costs CPU."""
        now = self._p.clock.monotonic()
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
            self._origin_utc = self._p.clock.now()
            for stream in self._p.streams:
                self._p.events.origin(stream, self._origin_utc)
        return seconds - self._origin_seconds

    def _video(self, frame: av.VideoFrame) -> None:
        assert self._encoder is not None
        seconds = self._media_seconds(frame)
        own_pts = round(seconds * self._fps)
        place = self._video_timeline.place(own_pts, self._last_video_pts)
        pts, previous = place.pts, self._last_video_pts
        if place.gap is not None:  # a reopened source: its time away is a declared gap, not lost frames
            self._video_gap(place.gap)
            previous = place.gap.end - 1
        seconds += float((pts - own_pts) / self._fps)
        now = self._p.clock.monotonic()
        self._overload.frame(seconds, now, self._p.frames.qsize())
        if not self._overload.video_frame(pts, previous, float(self._fps), now):
            return  # a duplicate or late frame (journaled): the encoder needs increasing timestamps
        self._last_video_pts = pts
        stamped = self._overlay.apply(frame, self._origin_utc + timedelta(seconds=seconds))
        stamped.pts = pts + self._pts_offset
        stamped.time_base = Fraction(1) / self._fps
        if self._p.keyframe_wanted.is_set():
            self._p.keyframe_wanted.clear()
            now = self._p.clock.monotonic()
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
        hole = self._audio_timeline.place(seconds)
        if hole is not None:  # the source lost sound: the hole stays in the timeline, declared
            self._audio_gap(hole)
        # on the recording's timeline, as the pictures are (a reopened source's own clock went back)
        placed = seconds + self._audio_timeline.offset_seconds
        self._overload.frame(placed, self._p.clock.monotonic(), self._p.frames.qsize())
        frame.pts = None
        for resampled in self._resampler.resample(frame):
            self._encode_audio(resampled)

    def _encode_audio(self, frame: av.AudioFrame | None) -> None:
        assert self._audio_stream is not None
        if frame is not None:
            frame.pts = self._audio_timeline.advance(frame.samples)
            frame.time_base = Fraction(1, _AUDIO_RATE)
            self._p.audio_frames.publish(frame)
            end_seconds = self._audio_timeline.next_sample / _AUDIO_RATE
            self._audio_file.end_seconds = max(self._audio_file.end_seconds, end_seconds)
        for packet in self._audio_stream.encode(frame):
            self._audio_file.container.mux(packet)

    def _audio_gap(self, hole: SampleGap) -> None:
        start = self._origin_utc + timedelta(seconds=hole.start / _AUDIO_RATE)
        end = self._origin_utc + timedelta(seconds=hole.end / _AUDIO_RATE)
        lost = (hole.end - hole.start) / _AUDIO_RATE
        reason = f"sound timestamps jumped {lost:.3f} s: the source lost sound (stall, overrun or resumed)"
        assert self._p.audio_stream is not None
        self._p.events.gap(self._p.audio_stream, start, end, reason)

    def _video_gap(self, gap: FrameGap) -> None:
        start = self._origin_utc + timedelta(seconds=float(gap.start / self._fps))
        end = self._origin_utc + timedelta(seconds=float(gap.end / self._fps))
        away = (end - start).total_seconds()
        reason = f"the source was reopened after a failure: {away:.3f} s without pictures"
        assert self._p.video_stream is not None
        self._p.events.gap(self._p.video_stream, start, end, reason)

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
        self._p.events.segment_sealed(stream, sealed, info, start, end)

    def _health_events(self, events: list[HealthEvent]) -> None:
        now_mono = self._p.clock.monotonic()
        now_utc = self._p.clock.now()
        for event in events:
            at = now_utc - timedelta(seconds=max(0.0, now_mono - event.at))
            self._p.events.health_changed(self._p.name, event.condition, event.active, at)
            if event.condition == HealthCondition.NO_FRAMES and not event.active:
                # the gap's length is monotonic time: a wall-clock step inside it changes nothing
                since = now_utc - timedelta(seconds=max(0.0, now_mono - self._last_frame_mono))
                for stream in self._p.streams:  # every track of the source has the hole
                    self._p.events.gap(stream, since, at, "source gave no frames")
