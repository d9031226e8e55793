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
class HeldItem(Generic[T]):
    """The item a :class:`LatestSlot` holds, its sequence number (1, 2, …) and when it came (monotonic s)."""

    item: T
    number: int
    at: float


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


class LatestSlot(Generic[T]):
    """The latest item of a stream (e.g. its last recorded picture, for the clerk's preview): each new
    item replaces the last, nothing queues, so a reader that looks seldom costs the recorder nothing.
    Items put here must not be modified afterwards."""

    def __init__(self) -> None:
        self._held: HeldItem[T] | None = None
        self._count = 0

    def put(self, item: T, at: float) -> None:
        """Hold ``item`` (made at monotonic ``at``) instead of the last one; called from one thread."""
        self._count += 1
        self._held = HeldItem(item, self._count, at)  # one reference assignment: readers see old or new

    def latest(self) -> HeldItem[T] | None:
        """The latest item, or None before any came."""
        return self._held
