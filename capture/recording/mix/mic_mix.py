"""The mixed track: a courtroom's microphones summed into one more recorded stream, ``mix``.

Each microphone stays its own stream; when a recording has two or more, the recorder also records
their sum for simple players (and the public broadcast's sound). The mix is made from the very
frames the microphones' streams encode (their ``audio_frames`` taps: 48 kHz float, as fed to their
AAC encoders) — no second capture — placed on the recording's media time (each microphone's origin
plus its sample count), summed (:mod:`capture.recording.mix.mix_timeline`), encoded AAC and cut, sealed
and journaled like every other stream: declared at the start, its own origin, init and segments.

A microphone that stops delivering is waited for at most ``dropout_seconds``; the mix goes on with
the others. When none delivers for longer, the mix journals a gap and goes on when one comes back.
A failure of the mix's own media work is journaled and the mix restarts, like a stream's.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from archive.formats import MIXED_SOUND_STREAM
from archive.journal import CMAF_TRACK_FILE, AudioDeclaration, StreamDeclaration
from archive.spool import SealedFile
from capture.errors import RecorderError
from capture.recording.mix.mix_timeline import MixTimeline, Samples
from capture.recording.stream.packet_tap import PacketTap
from capture.recording.stream.segmenter import CmafSegmenter, SegmentInfo, muxer_options
from capture.recording.stream.stream_pipeline import StreamEvents, StreamPipeline, StreamSettings
from timebase import Clock, SystemClock

logger = logging.getLogger(__name__)

MIX_STREAM = MIXED_SOUND_STREAM
"""The mixed track's stream name (labelled 混音 for people, ``archive.formats.stream_labels``)."""

_RATE = 48000
_FRAME = 1024  # the AAC encoder's frame size
_POLL_SECONDS = 0.02
_RESTART_DELAY_SECONDS = 1.0
_GAP_SAMPLES = _RATE  # nobody delivered for more than this: journal a gap instead of writing silence

OriginOf = Callable[[str], datetime | None]
"""The media origin (UTC) of a stream's current run, as journaled (None before its first)."""


def mixed_microphones(
    names: Sequence[str], has_video: Sequence[bool], has_audio: Sequence[bool]
) -> list[str]:
    """The sources mixed into ``mix``: those with sound and no pictures (microphones), when there are
    two or more; none otherwise. Raises RecorderError when a source is itself named ``mix``."""
    microphones = [
        name for name, video, audio in zip(names, has_video, has_audio, strict=True) if audio and not video
    ]
    if len(microphones) < 2:
        return []
    if MIX_STREAM in names:
        raise RecorderError(
            f"stream name {MIX_STREAM!r} is taken by the microphones' mixed track; rename that source"
        )
    return microphones


def mix_declarations(microphones: Sequence[str]) -> tuple[StreamDeclaration, ...]:
    """The journal declaration of the mixed track of ``microphones`` (none when there is no mix)."""
    if not microphones:
        return ()
    return (
        StreamDeclaration(
            name=MIX_STREAM,
            source=f"mix:{'+'.join(microphones)}",
            video=None,
            audio=AudioDeclaration(sample_rate=_RATE, channels=1, codec="aac"),
            format=CMAF_TRACK_FILE,
        ),
    )


def start_mix(
    microphones: Sequence[str],
    pipelines: Sequence[StreamPipeline],
    events: StreamEvents,
    *,
    origins: OriginOf,
    stream_dir: Callable[[str], Path],
    next_seq: dict[str, int],
    settings: StreamSettings,
    clock: Clock,
) -> MicrophoneMix | None:
    """Start recording the mix of ``microphones`` (their pipelines' frames), or None when none."""
    if not microphones:
        return None
    mix = MicrophoneMix(
        [(p.name, p.audio_frames) for p in pipelines if p.name in microphones],
        origins,
        stream_dir,
        events,
        first_seq=next_seq.get(MIX_STREAM, 1),
        segment_seconds=settings.segment_seconds,
        bitrate=settings.audio_bitrate,
        clock=clock,
    )
    mix.start()
    return mix


class MicrophoneMix:
    """Records the sum of ``inputs`` (stream name, its audio frame tap) as the stream ``mix``.

    Subscribes to the taps at construction; :meth:`start` runs the mixing thread; :meth:`stop` (after
    the microphones' streams stopped, so their last frames are in) mixes what is left, flushes the
    encoder and seals the last segment."""

    def __init__(
        self,
        inputs: Sequence[tuple[str, PacketTap[av.AudioFrame]]],
        origin_of: OriginOf,
        stream_dir: Callable[[str], Path],
        events: StreamEvents,
        *,
        first_seq: int,
        segment_seconds: float,
        bitrate: int = 64_000,
        dropout_seconds: float = 2.0,
        clock: Clock | None = None,
    ) -> None:
        self.name = MIX_STREAM
        self._clock: Clock = clock or SystemClock()
        self._origin_of = origin_of
        self._stream_dir = stream_dir
        self._events = events
        self._first_seq = first_seq
        self._segment_seconds = segment_seconds
        self._bitrate = bitrate
        self._dropout_seconds = dropout_seconds
        self._taps = [(name, tap, tap.subscribe(maxsize=2000)) for name, tap in inputs]  # ~40 s of frames
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failure: BaseException | None = None
        self.audio_frames: PacketTap[av.AudioFrame] = PacketTap()  # the mix as encoded (mono fltp, 48 kHz)

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(name for name, _tap, _queue in self._taps)

    def start(self) -> None:
        self._stream_dir(MIX_STREAM).mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name="mix-media", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Mix what the microphones delivered, seal the last segment; blocks until done."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        for _name, tap, subscriber in self._taps:
            tap.unsubscribe(subscriber)

    def _run(self) -> None:
        first_seq = self._first_seq
        while True:
            worker: _MixWorker | None = None
            try:
                worker = _MixWorker(self, first_seq, restarted=self.failure is not None)
                worker.run()
                return
            except Exception as exc:  # the mix's supervisor: journal, salvage, restart
                logger.exception("stream %s: recording failed", MIX_STREAM)
                self.failure = exc
                if worker is not None:
                    with contextlib.suppress(OSError):
                        worker.abandon()
                resumed = self._journal_failure(f"{type(exc).__name__}: {exc}")
                if resumed is None or self._clock.wait(self._stop, _RESTART_DELAY_SECONDS):
                    return
                first_seq = resumed

    def _journal_failure(self, message: str) -> int | None:
        """Journal the failure (salvaging what it left) and return the segment number to go on with;
        while that cannot be journaled (e.g. a full disk) try again every few seconds; None if stopped."""
        while True:
            try:
                return self._events.stream_failed(MIX_STREAM, message, self._clock.now())
            except Exception:
                logger.exception("stream %s: cannot journal its failure yet", MIX_STREAM)
            if self._clock.wait(self._stop, _RESTART_DELAY_SECONDS * 5):
                return None


class _MixWorker:
    """One run of the mix: its origin, timeline, encoder, muxer and segmenter (all in the mix thread)."""

    def __init__(self, mix: MicrophoneMix, first_seq: int, *, restarted: bool) -> None:
        self._m = mix
        self._restarted = restarted
        self._timeline = MixTimeline(mix.inputs, dropout_seconds=mix._dropout_seconds)
        self._origin: datetime | None = None
        self._end_seconds = 0.0
        self._segmenter = CmafSegmenter(
            mix._stream_dir(MIX_STREAM),
            first_seq=first_seq,
            segment_seconds=mix._segment_seconds,
            on_init=lambda data: mix._events.init_ready(MIX_STREAM, data),
            on_segment=self._sealed,
        )
        self._container = av.open(self._segmenter, "w", format="mp4", options=muxer_options())
        self._stream = self._container.add_stream("aac", rate=_RATE, layout="mono")
        self._stream.bit_rate = mix._bitrate

    def run(self) -> None:
        while True:
            stopping = self._m._stop.is_set()  # read first: what was queued before the stop is all in
            took = self._take_frames()
            now = self._m._clock.monotonic()
            self._emit(self._timeline.ready_until(now), final=False)
            if stopping:
                break
            if not took:
                self._m._clock.wait(self._m._stop, _POLL_SECONDS)
        self._emit(self._timeline.buffered_until, final=True)
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        self._segmenter.finish(self._end_seconds)

    def abandon(self) -> None:
        self._segmenter.abandon()

    def _take_frames(self) -> bool:
        took = False
        for name, _tap, subscriber in self._m._taps:
            while True:
                try:
                    frame = subscriber.get_nowait()
                except queue.Empty:
                    break
                took = True
                self._place(name, frame)
        return took

    def _place(self, name: str, frame: av.AudioFrame) -> None:
        origin = self._m._origin_of(name)
        if origin is None or frame.pts is None:
            return
        offset = float(frame.pts * (frame.time_base or Fraction(1, _RATE)))
        if self._origin is None:
            if self._restarted:  # the mix goes on from here (what came before is its failed run's)
                self._origin = origin + timedelta(seconds=offset)
            else:  # with the microphones: media time 0 is the earliest of their origins
                known = [o for o in (self._m._origin_of(n) for n in self._m.inputs) if o is not None]
                self._origin = min(known)
            self._m._events.origin(MIX_STREAM, self._origin)
        seconds = (origin - self._origin).total_seconds() + offset
        start = round(seconds * _RATE)
        samples: Samples = frame.to_ndarray().astype(np.float32).reshape(len(frame.layout.channels), -1)
        mono = samples.mean(axis=0) if samples.shape[0] > 1 else samples[0]
        if start < 0:
            mono, start = mono[-start:], 0
        now = self._m._clock.monotonic()
        timeline = self._timeline
        quiet = timeline.buffered_until - timeline.emitted < _FRAME and timeline.silent_for(now)
        if quiet and timeline.emitted > 0 and start > timeline.emitted + _FRAME + _GAP_SAMPLES:
            self._emit(timeline.emitted + _FRAME, final=False)  # what is left, as one whole frame
            self._journal_gap(timeline.emitted, start)  # every microphone was away: a gap, not silence
            timeline.skip_to(start)
        timeline.add(name, start, mono, now)

    def _journal_gap(self, start: int, end: int) -> None:
        assert self._origin is not None
        self._m._events.gap(
            MIX_STREAM,
            self._origin + timedelta(seconds=start / _RATE),
            self._origin + timedelta(seconds=end / _RATE),
            "no microphone delivered sound",
        )

    def _emit(self, until: int, *, final: bool) -> None:
        """Encode the mixed samples up to ``until`` in whole AAC frames (the rest too when ``final``)."""
        timeline = self._timeline
        whole = timeline.emitted + (until - timeline.emitted) // _FRAME * _FRAME
        while timeline.emitted < (until if final else whole):
            pts = timeline.emitted
            samples = timeline.take(min(pts + _FRAME, until))
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="fltp", layout="mono")
            frame.sample_rate = _RATE
            frame.pts = pts
            frame.time_base = Fraction(1, _RATE)
            self._m.audio_frames.publish(frame)
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
            self._end_seconds = max(self._end_seconds, timeline.emitted / _RATE)

    def _sealed(self, sealed: SealedFile, info: SegmentInfo) -> None:
        origin = self._origin or self._m._clock.now()
        start = origin + timedelta(seconds=info.start_seconds)
        end = origin + timedelta(seconds=info.end_seconds)
        self._m._events.segment_sealed(MIX_STREAM, sealed, info, start, end)
