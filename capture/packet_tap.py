"""Handing the encoder's H.264 packets to other consumers (the live publisher) without re-encoding.

Each subscriber gets its own bounded queue; a slow subscriber loses its oldest packets, never
holds up the recorder.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class EncodedVideoPacket:
    """One Annex-B H.264 access unit as the recorder encoded it (SPS/PPS in-band on keyframes)."""

    data: bytes
    pts: int
    time_base: Fraction
    keyframe: bool


class PacketTap:
    """Fan-out of encoded video packets to any number of bounded subscriber queues."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[queue.Queue[EncodedVideoPacket]] = []

    def subscribe(self, maxsize: int = 120) -> queue.Queue[EncodedVideoPacket]:
        """A new queue that receives every packet from now on."""
        subscriber: queue.Queue[EncodedVideoPacket] = queue.Queue(maxsize=maxsize)
        with self._lock:
            self._subscribers.append(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: queue.Queue[EncodedVideoPacket]) -> None:
        """Stop delivering to ``subscriber``."""
        with self._lock:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

    def publish(self, packet: EncodedVideoPacket) -> None:
        """Deliver ``packet`` to every subscriber, dropping a full queue's oldest packet."""
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            while True:
                try:
                    subscriber.put_nowait(packet)
                    break
                except queue.Full:
                    with contextlib.suppress(queue.Empty):
                        subscriber.get_nowait()
