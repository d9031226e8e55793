"""Camera thumbnails for the clerk's console, from the recorder's own pictures (the last frame each
stream encoded, overlay included): downscaled and JPEG-encoded when asked for, at most
``MAX_PER_SECOND`` times a second per camera however many pages look (no second capture)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import cv2

from capture.recording.stream.stream_pipeline import StreamPipeline
from timebase import Clock

THUMBNAIL_WIDTH = 320
MAX_PER_SECOND = 2.0
JPEG_QUALITY = 70


@dataclass(frozen=True, slots=True)
class Thumbnail:
    """A JPEG of a camera's picture number ``number``, taken at monotonic ``at``."""

    jpeg: bytes
    number: int
    at: float


class Thumbnails:
    """The latest thumbnail of each camera of the recording in progress."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._pipelines: dict[str, StreamPipeline] = {}
        self._made: dict[str, tuple[float, Thumbnail]] = {}

    def follow(self, pipelines: Sequence[StreamPipeline]) -> None:
        """Show the cameras of ``pipelines`` (those with video) from now on."""
        with self._lock:
            current = {p.name: p for p in pipelines if p.has_video}
            if current != self._pipelines:
                self._pipelines, self._made = current, {}

    def names(self) -> list[str]:
        with self._lock:
            return list(self._pipelines)

    def picture_age(self, name: str) -> float | None:
        """Seconds since camera ``name`` gave its last picture (None: none yet, or no such camera)."""
        with self._lock:
            pipeline = self._pipelines.get(name)
        held = None if pipeline is None else pipeline.latest_picture.latest()
        return None if held is None else max(0.0, self._clock.monotonic() - held.at)

    def thumbnail(self, name: str) -> Thumbnail | None:
        """Camera ``name``'s latest picture as a JPEG (None: no such camera or no picture yet); a
        thumbnail made less than 1/MAX_PER_SECOND s ago is served again. Blocking: call off the loop."""
        now = self._clock.monotonic()
        with self._lock:
            pipeline = self._pipelines.get(name)
            made = self._made.get(name)
        if pipeline is None:
            return None
        if made is not None and now - made[0] < 1 / MAX_PER_SECOND:
            return made[1]
        held = pipeline.latest_picture.latest()
        if held is None:
            return None
        if made is not None and made[1].number == held.number:
            return made[1]
        frame = held.item
        height = max(2, round(frame.height * THUMBNAIL_WIDTH / frame.width / 2) * 2)
        picture = frame.reformat(width=THUMBNAIL_WIDTH, height=height, format="bgr24").to_ndarray()
        ok, encoded = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            return None
        thumbnail = Thumbnail(encoded.tobytes(), held.number, held.at)
        with self._lock:
            if self._pipelines.get(name) is pipeline:
                self._made[name] = (now, thumbnail)
        return thumbnail
