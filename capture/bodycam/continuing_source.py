"""A source whose frames go on where the last reader stopped: the standby reads it, then the
recording's stream takes over the same frame sequence (same timestamps, no reopen, no gap)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import av

from devices import AudioFormat, Source, SourceSpec, VideoFormat


class ContinuingSource:
    """Wraps an open :class:`~devices.Source`; every ``frames()`` call continues one shared
    generator. Only one thread may iterate at a time (the standby stops before the stream starts)."""

    def __init__(self, source: Source) -> None:
        self._source = source
        self.spec: SourceSpec = source.spec
        self._frames: Iterator[av.VideoFrame | av.AudioFrame] | None = None
        self._lock = threading.Lock()

    @property
    def video(self) -> VideoFormat | None:
        return self._source.video

    @property
    def audio(self) -> AudioFormat | None:
        return self._source.audio

    def frames(self) -> Iterator[av.VideoFrame | av.AudioFrame]:
        with self._lock:
            if self._frames is None:
                self._frames = self._source.frames()
            shared = self._frames
        # next() by hand, not ``yield from``: a reader that stops early closes this generator,
        # and that must not close the shared one the next reader goes on with
        while True:
            try:
                frame = next(shared)
            except StopIteration:
                return
            yield frame

    def close(self) -> None:
        self._source.close()
