"""One recorded source: source frames → health checks → overlay → encode once → mux → segments.

Each source is recorded into CMAF track files of one track each (docs/FORMATS.md): its pictures
into the stream named after the source, its sound into ``<source>.audio`` (or into the source's own
name when it has no pictures) — one muxer and one segmenter per track, cut on the same time grid.

Two named threads per source: a reader that pulls frames from the (blocking) source into a bounded
queue and reopens the source when it fails, and the media thread that does all PyAV work. Nothing
here touches the asyncio loop. The media work itself is media_worker.MediaWorker's; it reads the
pipeline's ``source``, ``frames``, ``settings``, ``events``, ``clock`` and taps.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path

import av

from archive.formats import track_streams
from capture.recording.stream.media_worker import END_OF_FRAMES, MediaWorker, SourceResumed
from capture.recording.stream.packet_tap import EncodedVideoPacket, LatestSlot, PacketTap
from capture.recording.stream.pre_event import PreEventHandover
from capture.recording.stream.stream_settings import (
    DiskFullHandler,
    StreamEvents,
    StreamSettings,
    video_encoder_config,
)
from capture.space.spool_space import is_disk_full
from devices import DevicesError, Source
from timebase import Clock, SystemClock

__all__ = ["DiskFullHandler", "StreamEvents", "StreamPipeline", "StreamSettings", "video_encoder_config"]

logger = logging.getLogger(__name__)

_REOPEN_DELAY_SECONDS = 1.0
_RESTART_DELAY_SECONDS = 0.5  # doubling while the worker keeps failing quickly, up to the cap
_MAX_RESTART_DELAY_SECONDS = 30.0
_HEALTHY_RUN_SECONDS = 60.0


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
        self.clock: Clock = clock or SystemClock()
        self._pre_event = pre_event
        self._on_disk_full = on_disk_full
        self.name = name
        self._open_source = open_source
        self.source = open_source()
        self.stream_dir = stream_dir
        self.events = events
        self.settings = settings
        self._first_seq = first_seq
        self.frames: queue.Queue[object] = queue.Queue(maxsize=64)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._media_thread: threading.Thread | None = None
        self.video_packets: PacketTap[EncodedVideoPacket] = PacketTap()
        self.audio_frames: PacketTap[av.AudioFrame] = PacketTap()  # 48 kHz fltp, as fed to the AAC encoder
        self.latest_picture: LatestSlot[av.VideoFrame] = LatestSlot()  # as encoded (overlay burnt in)
        self.keyframe_wanted = threading.Event()
        self.failure: BaseException | None = None
        self.has_video = self.source.video is not None
        self.has_audio = self.source.audio is not None
        self.video_stream, self.audio_stream = track_streams(name, video=self.has_video, audio=self.has_audio)

    @property
    def streams(self) -> tuple[str, ...]:
        """The streams (track files) this source is recorded into: video first, then sound."""
        return tuple(stream for stream in (self.video_stream, self.audio_stream) if stream is not None)

    def start(self) -> None:
        """Start the reader and media threads."""
        for stream in self.streams:
            self.stream_dir(stream).mkdir(parents=True, exist_ok=True)
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
        self.keyframe_wanted.set()

    def stop(self) -> None:
        """Stop reading, flush the encoders and seal the last segment; blocks until done."""
        self._stop.set()
        self.source.close()
        for thread in self._threads:
            thread.join()

    def _read_frames(self) -> None:
        source = self.source
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
                failed_at = self.clock.monotonic()
                source.close()
                reopened = self._reopen()
                if reopened is None:
                    break
                source = self.source = reopened
                self._hand_over(SourceResumed(self.clock.monotonic() - failed_at))
        self._hand_over(END_OF_FRAMES)

    def _hand_over(self, item: object) -> None:
        """Queue ``item`` for the media thread; gives up only when stopping and nobody reads."""
        while True:
            try:
                self.frames.put(item, timeout=0.25)
                return
            except queue.Full:
                media = self._media_thread
                if self._stop.is_set() and (media is None or not media.is_alive()):
                    return

    def _reopen(self) -> Source | None:
        while not self.clock.wait(self._stop, _REOPEN_DELAY_SECONDS):
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
            worker: MediaWorker | None = None
            started = self.clock.monotonic()
            try:
                worker = MediaWorker(self, first_seq)
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
                at = self.clock.now()
                if disk_full and self._on_disk_full is not None:
                    resumed = self._on_disk_full(self.streams, exc, at, self._stop, self._drop_frames)
                    if resumed is None:
                        return
                    first_seq, failures = resumed, 0
                    self.failure = None  # journaled and recovered: the stream records on, not failed
                    continue
                message = f"{type(exc).__name__}: {exc}"
                first_seq = {
                    stream: self.events.stream_failed(stream, message, at) for stream in self.streams
                }
                failures = 1 if self.clock.monotonic() - started > _HEALTHY_RUN_SECONDS else failures + 1
                delay = min(_MAX_RESTART_DELAY_SECONDS, _RESTART_DELAY_SECONDS * 2 ** (failures - 1))
                if (worker is not None and worker.saw_end) or self.clock.wait(self._stop, delay):
                    return

    def take_pre_event(self) -> PreEventHandover | None:
        """The standby's handover, once: the first media worker goes on with it."""
        handover, self._pre_event = self._pre_event, None
        return handover

    def _drop_frames(self) -> bool:
        """Drop the frames waiting for a media thread that cannot record them; True when the source
        ended (or the stream is stopping)."""
        while True:
            try:
                item = self.frames.get_nowait()
            except queue.Empty:
                return self._stop.is_set()
            if item is END_OF_FRAMES:
                return True
