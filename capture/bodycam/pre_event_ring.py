"""The pre-event buffer: the last N seconds of a body camera's encoded video, in memory only.

A ring of whole GOPs: it always starts on a keyframe, and keeps the newest keyframe that is at least
N seconds old together with everything after it, so the buffer spans between N seconds and N plus
one GOP. Nothing here touches the disk or the network.
"""

from __future__ import annotations

import threading
from collections import deque
from fractions import Fraction

from capture.recording.stream.packet_tap import EncodedVideoPacket

MAX_PRE_EVENT_SECONDS = 120


class PreEventRing:
    """Thread-safe ring of encoded packets covering at least ``seconds`` before the newest one."""

    def __init__(self, seconds: float) -> None:
        if not 0 < seconds <= MAX_PRE_EVENT_SECONDS:
            raise ValueError(f"a pre-event ring holds 0 < seconds <= {MAX_PRE_EVENT_SECONDS} (got {seconds})")
        self.seconds = seconds
        self._packets: deque[EncodedVideoPacket] = deque()
        self._lock = threading.Lock()
        self._bytes = 0

    def add(self, packet: EncodedVideoPacket) -> None:
        """Append ``packet``; packets before the first keyframe are dropped (they cannot be decoded)."""
        with self._lock:
            if not self._packets and not packet.keyframe:
                return
            self._packets.append(packet)
            self._bytes += len(packet.data)
            self._trim(packet.pts * packet.time_base)

    def _trim(self, newest: Fraction) -> None:
        """Drop the oldest GOP while the next keyframe is itself at least ``seconds`` old."""
        while True:
            second = next((i for i, p in enumerate(self._packets) if i and p.keyframe), None)
            if second is None or newest - self._packets[second].pts * self._packets[
                second
            ].time_base < Fraction(self.seconds):
                return
            for _ in range(second):
                self._bytes -= len(self._packets.popleft().data)

    def snapshot(self) -> tuple[EncodedVideoPacket, ...]:
        """The packets held now, oldest (a keyframe) first."""
        with self._lock:
            return tuple(self._packets)

    def clear(self) -> None:
        with self._lock:
            self._packets.clear()
            self._bytes = 0

    @property
    def size_bytes(self) -> int:
        with self._lock:
            return self._bytes
