"""A media file played as if it were a live device: paced in real time, optionally looping.

Used to replay a known recording through the whole pipeline (demos, tests, soak runs). Every
decoding pass opens the file afresh, so a loop starts from clean demuxer and decoder state.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av

from devices import options as opt
from devices.errors import DeviceNotFoundError, SourceOpenError
from devices.formats import AudioFormat, VideoFormat
from devices.hardware.av_input import ContainerReader, describe_av_error, open_container
from devices.pacer import Pacer
from devices.spec import SourceKind, SourceSpec

__all__ = ["FileSource"]


class FileSource:
    """Decoded frames of the first video and first audio stream of ``spec.location``.

    Frames keep the file's ``time_base`` per stream (e.g. 1/15360 for MP4 video, 1/48000 for
    AAC) and are delivered when their timestamp comes due relative to the first frame
    (``realtime=0``: at once). With ``loop=1`` the file restarts at its end and ``pts`` keep
    rising: each pass is shifted by the length of the passes before it. Pixel and sample formats
    are the decoder's (usually yuv420p, fltp).
    """

    def __init__(self, spec: SourceSpec) -> None:
        """Open the file and read its stream formats.

        Raises:
            DeviceNotFoundError: the file does not exist.
            SourceOpenError: it is not a regular file, or not a readable media file with audio or video.
        """
        if spec.kind is not SourceKind.FILE:
            raise ValueError(f"not a file spec: {spec!r}")
        self.spec = spec
        self.path = Path(spec.location)
        self._loop = opt.parse_flag(spec.option("loop", "0"))
        self._realtime = opt.parse_flag(spec.option("realtime", "1"))
        self._label = f"media file {self.path}"
        if not self.path.exists():
            raise DeviceNotFoundError(f"no such media file {self.path}")
        if not self.path.is_file():
            raise SourceOpenError(f"cannot open {self._label}: not a regular file")
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._reader: ContainerReader | None = self._open()
        self._fresh = True
        self._video = self._reader.video_format()
        self._audio = self._reader.audio_format()

    @property
    def video(self) -> VideoFormat | None:
        """The video stream's size and rate, or None for a file without video."""
        return self._video

    @property
    def audio(self) -> AudioFormat | None:
        """The audio stream's rate and channels, or None for a file without audio."""
        return self._audio

    def frames(self) -> Iterator[av.VideoFrame | av.AudioFrame]:
        """Yield the file's frames in real time, looping if asked, until the end or :meth:`close`.

        Raises:
            SourceOpenError: the file cannot be decoded (damaged or truncated mid-stream), or
                a looping file yields no frame at all.
        """
        pacer = Pacer(self._stop, realtime=self._realtime)
        pacer.start()
        offset = Fraction(0)  # seconds added to this pass's timestamps
        origin: Fraction | None = None  # file time of the first frame: media time zero
        while not self._stop.is_set():
            reader = self._next_reader()
            pass_end: Fraction | None = None
            for frame in self._decode(reader):
                assert frame.pts is not None and frame.time_base is not None  # ContainerReader's promise
                start = frame.pts * frame.time_base
                origin = start if origin is None else origin
                end = start + _duration(frame)
                pass_end = end if pass_end is None else max(pass_end, end)
                frame.pts += round(offset / frame.time_base)
                if not pacer.wait_until(float(start + offset - origin)):
                    return
                yield frame
            if not self._loop or self._stop.is_set():
                return
            if pass_end is None or origin is None:
                raise SourceOpenError(f"cannot loop {self._label}: it has no decodable frames")
            offset += pass_end - origin

    def close(self) -> None:
        """Stop the generator (from any thread, within one frame) and close the file; idempotent."""
        self._stop.set()
        with self._lock:
            reader = self._reader
        if reader is not None:
            reader.close()

    def _open(self) -> ContainerReader:
        container = open_container(str(self.path), label=self._label)
        reader = ContainerReader(container, self._stop)
        if reader.video_stream is None and reader.audio_stream is None:
            reader.close()
            raise SourceOpenError(f"cannot open {self._label}: it has no audio or video stream")
        return reader

    def _next_reader(self) -> ContainerReader:
        with self._lock:
            if self._fresh and self._reader is not None:
                self._fresh = False
                return self._reader
        reader = self._open()
        with self._lock:
            self._reader = reader
        if self._stop.is_set():  # close() ran while we were opening: it could not see this reader
            reader.close()
        return reader

    def _decode(self, reader: ContainerReader) -> Iterator[av.VideoFrame | av.AudioFrame]:
        try:
            yield from reader.frames()
        except av.FFmpegError as exc:
            raise SourceOpenError(f"cannot decode {self._label}: {describe_av_error(exc)}") from exc


def _duration(frame: av.VideoFrame | av.AudioFrame) -> Fraction:
    """How long a frame lasts in seconds (0 when the file does not say)."""
    if isinstance(frame, av.AudioFrame):
        return Fraction(frame.samples, frame.sample_rate) if frame.sample_rate else Fraction(0)
    return frame.duration * (frame.time_base or Fraction(0))
