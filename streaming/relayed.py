"""What a live feed hands to consumers outside the event loop, shared by the server and the public side.

The live server's feeds (streaming.server.feed) copy every relayed packet to thread-side sinks (the
public HLS packager, the face masker); the public side (streaming.public) consumes those copies and
attaches itself to feeds. Both meet here, in a leaf that imports none of either side, so that
``streaming.public`` never needs ``streaming.server`` (which builds on it) and any of its modules
can be imported first.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from streaming.codec_preferences import MEDIA_KINDS


@dataclass(frozen=True, slots=True)
class RelayedPacket:
    """A copy of one relayed packet for consumers outside the event loop."""

    kind: str  # "video" or "audio"
    data: bytes
    pts: int
    time_base: Fraction
    keyframe: bool
    arrival: float  # time.monotonic() when it reached the relay
    feed_kinds: frozenset[str] = MEDIA_KINDS  # what the feed's publisher sends (declared in its offer)


class FeedSink(Protocol):
    """A thread-side consumer of a feed (e.g. the public packager); ``accept`` must not block."""

    def accept(self, packet: RelayedPacket) -> None: ...


class SinkFeed(Protocol):
    """What the public broadcasts need of a live feed (streaming.server.feed.Feed): its id, sinks
    to add and remove, and a keyframe to ask for."""

    @property
    def feed_id(self) -> str: ...

    def add_sink(self, sink: FeedSink) -> None: ...

    def remove_sink(self, sink: FeedSink) -> None: ...

    def request_keyframe(self) -> None: ...
