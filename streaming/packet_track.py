"""A media track whose ``recv()`` returns already-encoded packets, fed by a producer on the same loop.

aiortc's ``RTCRtpSender`` packs an ``av.Packet`` it gets from ``recv()`` straight into RTP instead
of encoding it (H.264 needs Annex-B). The producer calls :meth:`PacketTrack.offer` without ever
waiting: a slow consumer loses its oldest packets, and a video track that lost one waits for the
next keyframe (asking for one) instead of sending pictures the viewer cannot decode.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

if TYPE_CHECKING:
    from av.stream import Stream

    MediaPacket: TypeAlias = av.Packet[Stream]
else:  # PyAV's Packet is generic only in its type stubs
    MediaPacket = av.Packet
"""An encoded audio or video packet as aiortc sends it (H.264 in Annex-B, Opus as is)."""


class PacketTrack(MediaStreamTrack):
    """Bounded, non-blocking queue of encoded packets exposed as an aiortc track.

    Video tracks start by waiting for a keyframe: packets before it are dropped and
    ``need_keyframe`` is called (the producer should ask its source for one, rate-limited).
    """

    def __init__(
        self, kind: str, *, maxsize: int = 60, need_keyframe: Callable[[], None] | None = None
    ) -> None:
        super().__init__()
        self.kind = kind
        self._packets: collections.deque[MediaPacket] = collections.deque()
        self._maxsize = maxsize
        self._ready = asyncio.Event()
        self._need_keyframe = need_keyframe
        self._waiting_for_keyframe = kind == "video"
        self.dropped = 0
        self.delivered = 0

    @property
    def waiting_for_keyframe(self) -> bool:
        """True until a video keyframe has been queued (and again after a loss)."""
        return self._waiting_for_keyframe

    def offer(self, packet: MediaPacket) -> None:
        """Queue ``packet`` for sending; never blocks. Call on the track's event loop."""
        if self.readyState != "live":
            return
        if self._waiting_for_keyframe:
            if not packet.is_keyframe:
                self.dropped += 1
                if self._need_keyframe is not None:
                    self._need_keyframe()
                return
            self._waiting_for_keyframe = False
        if len(self._packets) >= self._maxsize:
            self._packets.clear()
            self.dropped += self._maxsize
            if self.kind == "video":
                # what follows would reference the pictures just dropped
                self._waiting_for_keyframe = True
                if not packet.is_keyframe:
                    if self._need_keyframe is not None:
                        self._need_keyframe()
                    return
                self._waiting_for_keyframe = False
        self._packets.append(packet)
        self._ready.set()

    async def recv(self) -> MediaPacket:
        """The next packet; raises MediaStreamError once the track has ended."""
        while not self._packets:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        if self.readyState != "live":
            raise MediaStreamError
        self.delivered += 1
        return self._packets.popleft()

    def stop(self) -> None:
        """End the track; a pending ``recv()`` raises MediaStreamError."""
        super().stop()
        self._ready.set()
