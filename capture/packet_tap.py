"""Handing the encoder's H.264 packets (and the audio frames) to other consumers without re-encoding.

Each subscriber gets its own bounded queue; a slow subscriber loses its oldest items, never
holds up the recorder. The live publisher subscribes to a pipeline's ``video_packets`` and
``audio_frames``; published items must not be modified afterwards.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class EncodedVideoPacket:
    """One Annex-B H.264 access unit as the recorder encoded it (SPS/PPS in-band on keyframes)."""

    data: bytes
    pts: int
    time_base: Fraction
    keyframe: bool


class PacketTap(Generic[T]):
    """Fan-out of items (encoded video packets, audio frames) to any number of bounded subscriber queues."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[queue.Queue[T]] = []

    def subscribe(self, maxsize: int = 120) -> queue.Queue[T]:
        """A new queue that receives every packet from now on."""
        subscriber: queue.Queue[T] = queue.Queue(maxsize=maxsize)
        with self._lock:
            self._subscribers.append(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: queue.Queue[T]) -> None:
        """Stop delivering to ``subscriber``."""
        with self._lock:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

    def publish(self, packet: T) -> None:
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
