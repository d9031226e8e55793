"""One live feed (a room's or bodycam's stream) and its decode-free fan-out to viewers.

The ingest hands every received packet to :meth:`Feed.publish` once; the feed forwards the same
``av.Packet`` object to every viewer track (aiortc only reads it) and a bytes copy to thread-side
sinks (the public HLS packager). Nothing is decoded or re-encoded here.

When a publisher reconnects (a new ingest replaces the old one), timestamps are rebased so each
viewer's RTP timeline keeps running forward and viewers simply resume at the next keyframe.

A feed carries the media kinds its publisher offers: video and audio, or audio alone (a courtroom
microphone). Its *main kind* — video when it has video, otherwise audio — is what freshness and
viewers are counted by.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from fractions import Fraction

from streaming.codec_preferences import MEDIA_KINDS, checked_kinds
from streaming.packet_track import MediaPacket, PacketTrack
from streaming.relayed import FeedSink, RelayedPacket

logger = logging.getLogger(__name__)

KeyframeRequester = Callable[[], Awaitable[bool]]

_STEP_SECONDS = Fraction(1, 50)  # gap left between two ingests' timelines


@dataclass(slots=True)
class _Timeline:
    """Keeps one media kind's output timestamps increasing across ingests."""

    offset: int | None = None
    last_out: int | None = None
    time_base: Fraction | None = None

    def rebase(self, pts: int, time_base: Fraction) -> int:
        if self.offset is None or self.time_base != time_base:
            start = 0
            if self.last_out is not None and self.time_base is not None:
                start = round((self.last_out * self.time_base + _STEP_SECONDS) / time_base)
            self.offset = start - pts
            self.time_base = time_base
        out = pts + self.offset
        self.last_out = out
        return out

    def restart(self) -> None:
        self.offset = None


@dataclass(slots=True)
class FeedLabel:
    """What the wall shows about a feed; telemetry and the WHIP request fill it in."""

    room: str
    stream: str
    device_id: str = ""
    extra: dict[str, object] = field(default_factory=dict)


class Feed:
    """Fan-out point of one feed id (``room/stream``); lives on the server's event loop."""

    def __init__(self, feed_id: str, label: FeedLabel, *, keyframe_interval: float = 2.0) -> None:
        self.feed_id = feed_id
        self.label = label
        self._tracks: dict[str, list[PacketTrack]] = {"video": [], "audio": []}
        self._sinks: list[FeedSink] = []
        self._timelines = {"video": _Timeline(), "audio": _Timeline()}
        self._requester: KeyframeRequester | None = None
        self._keyframe_interval = keyframe_interval
        self._last_request = -float("inf")
        self._tasks: set[asyncio.Task[bool]] = set()
        self.kinds = MEDIA_KINDS  # until a publisher says what it sends
        self.last_frame_at: float | None = None  # of the main kind
        self.ingest_attached = False  # a publisher session holds the feed (connecting or live)
        self.ingest_connected = False  # ... and its media has arrived: only then is the feed live
        self.disconnected_at: float | None = time.monotonic()
        self.packets = 0

    @property
    def main_kind(self) -> str:
        """``video`` when the feed carries video, else ``audio`` (an audio-only feed)."""
        return "video" if "video" in self.kinds else "audio"

    @property
    def viewer_count(self) -> int:
        """Live viewer tracks of the main kind (one per viewer)."""
        return sum(1 for track in self._tracks[self.main_kind] if track.readyState == "live")

    def attach_ingest(self, requester: KeyframeRequester, kinds: frozenset[str] = MEDIA_KINDS) -> None:
        """A new publisher connection, sending ``kinds``, feeds this feed from now on (replacing any
        earlier one). The feed counts as connected from its first packet on (:meth:`publish`), not
        from here: a publisher that never completes ICE never makes it live. Raises ValueError for
        kinds other than a non-empty subset of video and audio."""
        self.kinds = checked_kinds(kinds)
        self._requester = requester
        self.ingest_attached = True
        self.ingest_connected = False
        self.disconnected_at = None
        for timeline in self._timelines.values():
            timeline.restart()
        self._last_request = -float("inf")

    def detach_ingest(self, requester: KeyframeRequester) -> None:
        """The publisher connection that used ``requester`` ended (a newer one may have replaced it)."""
        if self._requester == requester:  # bound methods are equal, never identical
            self._requester = None
            self.ingest_attached = False
            self.ingest_connected = False
            self.disconnected_at = time.monotonic()

    def add_track(self, track: PacketTrack) -> None:
        """Forward this feed's packets of ``track.kind`` to ``track`` until it ends."""
        self._tracks[track.kind].append(track)
        if track.kind == "video":
            self.request_keyframe()

    def add_sink(self, sink: FeedSink) -> None:
        """Give ``sink`` a copy of every packet (both kinds) until :meth:`remove_sink`."""
        self._sinks.append(sink)
        self.request_keyframe()

    def remove_sink(self, sink: FeedSink) -> None:
        """Stop feeding ``sink``."""
        if sink in self._sinks:
            self._sinks.remove(sink)

    def publish(self, kind: str, packet: MediaPacket) -> None:
        """Fan ``packet`` (from the current ingest) out to every viewer track and sink."""
        now = time.monotonic()
        if packet.pts is None or packet.time_base is None:
            return
        packet.pts = self._timelines[kind].rebase(packet.pts, packet.time_base)
        if self.ingest_attached:
            self.ingest_connected = True  # media flows from the current publisher
        if kind == self.main_kind:
            self.last_frame_at = now
        self.packets += 1
        tracks = self._tracks[kind]
        if any(track.readyState != "live" for track in tracks):
            tracks[:] = [track for track in tracks if track.readyState == "live"]
        for track in tracks:
            track.offer(packet)
        if self._sinks:
            copy = RelayedPacket(
                kind, bytes(packet), packet.pts, packet.time_base, packet.is_keyframe, now, self.kinds
            )
            for sink in self._sinks:
                sink.accept(copy)

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe, at most once per ``keyframe_interval`` seconds."""
        now = time.monotonic()
        if self._requester is None or now - self._last_request < self._keyframe_interval:
            return
        self._last_request = now
        task = asyncio.ensure_future(self._requester())
        self._tasks.add(task)
        task.add_done_callback(self._request_done)

    def _request_done(self, task: asyncio.Task[bool]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("feed %s: keyframe request failed: %s", self.feed_id, task.exception())

    def close(self) -> None:
        """End every viewer track (the feed is going away)."""
        for tracks in self._tracks.values():
            for track in tracks:
                track.stop()
            tracks.clear()
        self._sinks.clear()
