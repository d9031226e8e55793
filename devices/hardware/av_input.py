"""PyAV input containers: opening with translated errors, and reading that another thread can stop.

PyAV containers are not thread-safe: closing one while another thread is inside ``demux``/``decode``
is undefined behaviour. So :class:`ContainerReader` closes the container itself only when no read
is in progress, and otherwise leaves it to the reading thread, which checks the stop flag as soon
as its current read returns (bounded by the frame interval of a live device or by the ``timeout``
given to ``av.open``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from fractions import Fraction

import av
from av.container import InputContainer

from devices.errors import SourceOpenError
from devices.formats import AudioFormat, VideoFormat
from devices.spec import SourceSpec

__all__ = ["ContainerReader", "LiveAvSource", "describe_av_error", "open_container"]

logger = logging.getLogger(__name__)

_DEFAULT_FPS = Fraction(30)


def describe_av_error(exc: av.FFmpegError) -> str:
    """The error without the file name PyAV appends (it would repeat URLs, passwords included)."""
    if isinstance(exc, av.InvalidDataError):
        return "invalid data: the input is truncated, damaged or not a supported media format"
    if exc.strerror:
        return f"{exc.strerror} (errno {exc.errno})" if exc.errno is not None else exc.strerror
    return type(exc).__name__


def open_container(
    target: str,
    *,
    label: str,
    format: str | None = None,
    options: dict[str, str] | None = None,
    timeout: float | None = None,
) -> InputContainer:
    """``av.open(target)`` for reading; raises SourceOpenError("cannot open {label}: why")."""
    try:
        return av.open(target, mode="r", format=format, options=options or {}, timeout=timeout)
    except av.FFmpegError as exc:
        # Not chained: PyAV's message carries the target, which for a camera URL holds the password.
        raise SourceOpenError(f"cannot open {label}: {describe_av_error(exc)}") from None


class ContainerReader:
    """Decodes the first video and first audio stream of a container; closable from any thread.

    ``frames()`` yields decoded frames in demux order and raises PyAV's errors untranslated (the
    owner knows what they mean). Frames without ``pts`` are dropped, since every consumer needs a
    timestamp; a frame without ``time_base`` gets its stream's.
    """

    def __init__(self, container: InputContainer, stop: threading.Event) -> None:
        self.container = container
        self.video_stream = container.streams.video[0] if container.streams.video else None
        self.audio_stream = container.streams.audio[0] if container.streams.audio else None
        self._stop = stop
        self._lock = threading.Lock()
        self._busy = False
        self._close_requested = False
        self._closed = False
        self.dropped = 0

    def video_format(self) -> VideoFormat | None:
        """Size and nominal rate of the video stream (30 fps if the container does not say)."""
        stream = self.video_stream
        if stream is None:
            return None
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate or _DEFAULT_FPS
        return VideoFormat(stream.codec_context.width, stream.codec_context.height, Fraction(rate))

    def audio_format(self) -> AudioFormat | None:
        """Sample rate and channel count of the audio stream."""
        stream = self.audio_stream
        if stream is None:
            return None
        return AudioFormat(stream.codec_context.sample_rate, stream.codec_context.layout.nb_channels)

    def frames(self) -> Iterator[av.VideoFrame | av.AudioFrame]:
        """Decoded frames until the container ends or stop is set; closes the container at the end."""
        streams = [s for s in (self.video_stream, self.audio_stream) if s is not None]
        try:
            decoded = self.container.decode(*streams)  # lazy: reads nothing until next()
            while True:
                with self._lock:
                    if self._stop.is_set() or self._close_requested:
                        return
                    self._busy = True
                try:
                    frame = next(decoded, None)
                finally:
                    with self._lock:
                        self._busy = False
                if frame is None or self._stop.is_set() or self._close_requested:
                    return
                if isinstance(frame, av.VideoFrame | av.AudioFrame) and self._stamped(frame):
                    yield frame
        finally:
            self.close()

    def close(self) -> None:
        """Close the container now if no read is running, else as soon as the running read returns."""
        with self._lock:
            self._close_requested = True
            if self._busy or self._closed:
                return
            self._closed = True
        self.container.close()
        if self.dropped:
            logger.debug("dropped %d frames without pts from %s", self.dropped, self.container.name)

    def _stamped(self, frame: av.VideoFrame | av.AudioFrame) -> bool:
        if frame.pts is None:
            self.dropped += 1
            return False
        if frame.time_base is None:
            stream = self.video_stream if isinstance(frame, av.VideoFrame) else self.audio_stream
            frame.time_base = stream.time_base if stream is not None else None
        return frame.time_base is not None


class LiveAvSource:
    """A live device or network stream read through PyAV (V4L2, ALSA, RTSP, HTTP).

    Frames keep the container's own timestamps: ``pts`` in the stream's ``time_base`` (V4L2 and
    ALSA: microseconds, 1/1000000; RTSP: the RTP clock, typically 1/90000 for video). A live source
    has no natural end, so the generator raises SourceOpenError when the stream ends or fails
    (the caller reopens); after :meth:`close` it just returns.
    """

    def __init__(self, spec: SourceSpec, container: InputContainer, label: str) -> None:
        """Take ownership of an opened ``container``; ``label`` names it in messages (no passwords).

        Raises:
            SourceOpenError: the container has neither a video nor an audio stream (it is closed).
        """
        self.spec = spec
        self._label = label
        self._stop = threading.Event()
        self._reader = ContainerReader(container, self._stop)
        if self._reader.video_stream is None and self._reader.audio_stream is None:
            self._reader.close()
            raise SourceOpenError(f"{label} has neither a video nor an audio stream")

    @property
    def video(self) -> VideoFormat | None:
        """The picture format the device negotiated, or None for an audio-only source."""
        return self._reader.video_format()

    @property
    def audio(self) -> AudioFormat | None:
        """The sound format, or None for a video-only source."""
        return self._reader.audio_format()

    def frames(self) -> Iterator[av.VideoFrame | av.AudioFrame]:
        """Yield frames as the device delivers them; raises SourceOpenError if the stream fails or ends."""
        try:
            yield from self._reader.frames()
        except av.FFmpegError as exc:
            if self._stop.is_set():
                return
            raise SourceOpenError(f"{self._label} failed: {describe_av_error(exc)}") from None
        if not self._stop.is_set():
            raise SourceOpenError(f"{self._label} stopped delivering frames (end of stream)")

    def close(self) -> None:
        """Stop the generator (from any thread, within one read) and release the device; idempotent."""
        self._stop.set()
        self._reader.close()
