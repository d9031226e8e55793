"""A segment publisher whose store can fail on demand, and relayed video to broadcast, for the public tests.

:class:`FlakyPublisher` is an honest fake: it implements the ``SegmentPublisher`` protocol by handing
every call to a real :class:`DirectoryPublisher`, except the calls it was told to fail, which raise
HlsError as a publisher whose store is down does (and leave the files untouched). It records every
call, so a test can tell which names were ever published.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from collections.abc import Callable
from fractions import Fraction

from capture.recording.stream.encoder import VideoEncoderConfig, open_video_encoder
from devices.generated.pattern import MovingPattern
from streaming.errors import HlsError
from streaming.public.segment_publisher import DirectoryPublisher
from streaming.relayed import RelayedPacket

FPS = 15


class FlakyPublisher:
    """A DirectoryPublisher whose next ``fail_next[method]`` calls of ``method`` fail (HlsError), as do
    all calls while ``down``; ``calls`` lists (method, name) of every call, failed or not."""

    def __init__(self, inner: DirectoryPublisher) -> None:
        self.inner = inner
        self.down = False
        self.fail_next: collections.Counter[str] = collections.Counter()
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def put(self, name: str, data: bytes, content_type: str) -> None:
        self._gate("put", name)
        self.inner.put(name, data, content_type)

    def delete(self, name: str) -> None:
        self._gate("delete", name)
        self.inner.delete(name)

    def delete_prefix(self, prefix: str) -> None:
        self._gate("delete_prefix", prefix)
        self.inner.delete_prefix(prefix)

    def list_names(self, prefix: str = "") -> list[str]:
        self._gate("list_names", prefix)
        return self.inner.list_names(prefix)

    def published(self) -> list[str]:
        """Every name a put was attempted for, in order."""
        with self._lock:
            return [name for method, name in self.calls if method == "put"]

    def count(self, method: str) -> int:
        with self._lock:
            return sum(1 for called, _ in self.calls if called == method)

    def _gate(self, method: str, name: str) -> None:
        with self._lock:
            self.calls.append((method, name))
            if self.down or self.fail_next[method] > 0:
                self.fail_next[method] -= 1
                raise HlsError(f"store down: cannot {method} {name}")


def relayed_video(seconds: float, *, arrival: float | None = None) -> list[RelayedPacket]:
    """320x240 H.264 at 15 fps with a keyframe every second, as the relay hands it to a broadcast."""
    encoder = open_video_encoder(
        VideoEncoderConfig(width=320, height=240, fps=Fraction(FPS), preset="ultrafast")
    )
    pattern = MovingPattern(320, 240)
    start = time.monotonic() if arrival is None else arrival
    packets: list[RelayedPacket] = []
    for index in range(round(seconds * FPS)):
        frame = pattern.render(index)
        frame.pts, frame.time_base = index, Fraction(1, FPS)
        for p in encoder.encode(frame):
            packets.append(
                RelayedPacket(
                    "video", bytes(p), int(p.pts or 0), p.time_base, p.is_keyframe, start + index / FPS
                )
            )
    return packets


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail the test with ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for: {what}"
        time.sleep(0.02)


async def eventually(condition: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    """:func:`wait_for` on an event loop (the loop keeps running while it waits)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for: {what}"
        await asyncio.sleep(0.02)
