"""One public broadcast: relayed packets → packager → delay line → segment publisher, in one thread.

The feed hands packets over without blocking (bounded queue, oldest dropped). The thread packages
them, holds segments for the broadcast delay, publishes what is due, then the playlist, and
withdraws segments that slid out of the window. A cut is applied by the caller's thread at once
(``DelayLine.cut``); this thread then restarts its packager so nothing from before the cut leaks.

A packager is made at the first packet it is to package, for the media kinds the feed declares (so a
broadcast opened before its publisher connected still carries sound, and an audio-only feed is
packaged as audio). A publication that starts its timestamps again, or declares other kinds, gets a
new packager: the playlist goes on after a discontinuity. Next to the media playlist, a multivariant
playlist (``index.m3u8``) names its codecs, picture size and peak bit rate.

A courtroom's sound may come from another feed than its picture: a broadcast opened with a
``sound_feed_id`` (the room's microphone, e.g. ``room/mic-1``, or the room's microphones' mix
``room/mix`` when that is published: broadcasts.sound_preferences) takes its audio from that feed while the
feed is attached (:meth:`PublicBroadcast.sound_attached`; its packets come in through
:attr:`PublicBroadcast.sound_input`) and drops the camera's own audio then; without it (no microphone
publishing) the camera's own sound is used, or silence. Such a broadcast always carries audio. A
change of source starts a new packager, as above (a discontinuity): one packager never mixes two
sources' timelines.

Everything is published under the broadcast's own directory ``room/stream/{broadcast id}/``, and
every packager of the broadcast numbers its init segment afresh: segments are cached as immutable,
so no name is ever published twice with other bytes (see broadcast_id.py).
"""

from __future__ import annotations

import collections
import json
import logging
import math
import threading
from collections.abc import Callable

from archive.formats.hls import Variant, render_multivariant_playlist
from streaming.errors import HlsError, StreamRestartError
from streaming.public.delay_line import BroadcastState, DelayLine, ProducedSegment
from streaming.public.packager import HlsPackager, MediaInfo, VideoTransform
from streaming.public.playlist import PublishedSegment
from streaming.public.segment_publisher import SegmentPublisher
from streaming.relayed import RelayedPacket
from timebase import Clock

logger = logging.getLogger(__name__)

PLAYLIST = "live.m3u8"
MULTIVARIANT = "index.m3u8"
STATUS = "status.json"
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
_QUEUE_LIMIT = 600  # ~10 s of video+audio packets
_TICK_SECONDS = 0.1
_BANDWIDTH_HEADROOM = 1.25
_FAILURE_LOG_SECONDS = 60.0  # while the store keeps failing, one log line per minute


class PublicBroadcast:
    """The public rendition of one feed (``room/stream``), published under ``prefix``; a FeedSink.

    Its times come from the delay line's clock."""

    def __init__(
        self,
        feed_id: str,
        broadcast_id: str,
        publisher: SegmentPublisher,
        delay: DelayLine,
        *,
        segment_seconds: float,
        transform_factory: Callable[[], VideoTransform] | None = None,
        sound_feed_id: str | None = None,
    ) -> None:
        self.feed_id = feed_id
        self.sound_feed_id = sound_feed_id
        self.sound_input = _SoundInput(self)
        self.broadcast_id = broadcast_id
        self.prefix = f"{feed_id}/{broadcast_id}"
        self.delay = delay
        self._clock = delay.clock
        self._publisher = publisher
        self._segment_seconds = segment_seconds
        self._transform_factory = transform_factory
        self._packets: collections.deque[tuple[RelayedPacket, bool]] = collections.deque(maxlen=_QUEUE_LIMIT)
        self._sound_attached = False  # the sound feed is attached: its audio is the broadcast's
        self._sound_run = 0  # which attachment of a sound feed sounds now (0: none); each packages apart
        self._picture_kinds: frozenset[str] = frozenset({"video"})  # what the camera feed sends besides sound
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._skip_to_keyframe = False
        self._packager: HlsPackager | None = None
        self._packager_key: tuple[frozenset[str], int] = (frozenset(), 0)
        self._generation = 0
        self._expired: list[PublishedSegment] = []
        self._published_init: set[int] = set()
        self._inits: dict[int, tuple[bytes, MediaInfo]] = {}
        self._declared: Variant | None = None  # what index.m3u8 says now
        self._peak_rate = 0.0
        self._init_number = 0
        self._segment_serial = 0
        self._status_written: BroadcastState | None = None
        self._playlist_stale = True
        self._failures = _FailureLog(feed_id, self._clock)
        self._thread = threading.Thread(target=self._run, name=f"public-{feed_id}", daemon=True)
        self.segments_published = 0

    def start(self) -> None:
        """Start the broadcast's thread."""
        self._thread.start()

    @property
    def queued_packets(self) -> int:
        """Packets handed over and not yet taken by the broadcast's thread."""
        return len(self._packets)

    def accept(self, packet: RelayedPacket) -> None:
        """FeedSink: take a relayed packet of the camera feed; never blocks (drops the oldest when
        far behind)."""
        self._enqueue(packet, from_sound=False)

    def accept_sound(self, packet: RelayedPacket) -> None:
        """Take a relayed packet of the sound feed (only its audio is used); never blocks."""
        if packet.kind == "audio":
            self._enqueue(packet, from_sound=True)

    def sound_attached(self, attached: bool) -> None:
        """The sound feed was attached (its audio replaces the camera's) or went away (the camera's
        own sound again); attached again, it is another source (the room's mix instead of its
        microphone): a new packager. Ignored without a ``sound_feed_id``."""
        self._sound_attached = attached and self.sound_feed_id is not None
        self._sound_run = self._sound_run + 1 if self._sound_attached else 0
        self._wake.set()

    def _enqueue(self, packet: RelayedPacket, *, from_sound: bool) -> None:
        if len(self._packets) == self._packets.maxlen:
            self._skip_to_keyframe = True  # a dropped video packet would corrupt pictures
        self._packets.append((packet, from_sound))
        self._wake.set()

    def stop(self) -> bool:
        """End the broadcast: nothing more is published. Blocks up to 10 s for the thread to end;
        False when it had not ended by then (it may still publish one last file)."""
        self.delay.end()
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        return not self._thread.is_alive()

    def publish_ended(self) -> None:
        """After :meth:`stop`, mark the broadcast ended for viewers (status and an ended playlist).
        Raises HlsError when the store fails."""
        self._write_status()
        self._publish_playlist()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._clock.wait(self._wake, _TICK_SECONDS)
            self._wake.clear()
            try:
                if self._packager is not None and not self.delay.is_current(self._generation):
                    self._packager = None  # cut: whatever it held is never published
                self._feed()
            except HlsError as exc:
                logger.error("public %s: %s; restarting the packager", self.feed_id, exc)
                self._packager = None
            try:
                if self._publish_due():  # a failing store costs the segments due now, not the packager
                    self._failures.succeeded()
            except HlsError as exc:
                self._failures.failed(exc)
        if self._packager is not None:
            self._close_quietly(self._packager)

    def _feed(self) -> None:
        while self._packets:
            packet, from_sound = self._packets.popleft()
            kinds = self._kinds_for(packet, from_sound)
            if kinds is None:
                continue
            if packet.kind == "video" and self._skip_to_keyframe:
                if not packet.keyframe:
                    continue
                self._skip_to_keyframe = False
            key = (kinds, self._sound_run)
            packager = self._packager
            if packager is None or key != self._packager_key:
                if self.delay.state is not BroadcastState.LIVE:
                    continue
                packager = self._replace_packager(key)
            try:
                packager.push(packet)
            except StreamRestartError as exc:
                logger.info("public %s: %s; the playlist goes on after a discontinuity", self.feed_id, exc)
                self._replace_packager(key).push(packet)

    def _kinds_for(self, packet: RelayedPacket, from_sound: bool) -> frozenset[str] | None:
        """The media kinds the broadcast carries while ``packet`` is packaged; None to drop it (the
        camera's audio while the sound feed is attached, the sound feed's while it is not). A
        broadcast with a sound feed always carries audio (silence while neither source sends any),
        so players see the same tracks whichever source sounds."""
        if self.sound_feed_id is None:
            return None if from_sound else packet.feed_kinds
        if from_sound:
            return self._picture_kinds | {"audio"} if self._sound_attached else None
        if packet.kind == "audio" and self._sound_attached:
            return None
        self._picture_kinds = packet.feed_kinds - {"audio"}
        return self._picture_kinds | {"audio"}

    def _replace_packager(self, key: tuple[frozenset[str], int]) -> HlsPackager:
        """Close the current packager (its last segment is published) and start one for ``key``
        (the kinds carried, and which attachment of a sound feed sounds, 0 for none)."""
        if self._packager is not None:
            self._close_quietly(self._packager)
        self._generation = self.delay.generation
        self._packager = self._new_packager(self._generation, key[0])
        self._packager_key = key
        return self._packager

    def _new_packager(self, generation: int, kinds: frozenset[str]) -> HlsPackager:
        self._init_number += 1
        init_number = self._init_number

        def on_init(data: bytes, info: MediaInfo) -> None:
            self._inits[init_number] = (data, info)

        def on_segment(data: bytes, seconds: float) -> None:
            self.delay.produce(
                ProducedSegment(generation, data, seconds, self._clock.monotonic(), init_number)
            )

        with_video = "video" in kinds
        transform = self._transform_factory() if self._transform_factory and with_video else None
        return HlsPackager(
            self._segment_seconds,
            on_init,
            on_segment,
            with_audio="audio" in kinds,
            with_video=with_video,
            max_segment_seconds=self.delay.target_seconds,
            transform=transform,
        )

    def _publish_due(self) -> bool:
        """Publish what is due (segments, status, playlist); True when anything was written."""
        wrote = False
        for segment in self.delay.take_due():
            if not self.delay.is_current(segment.generation):
                break
            number = segment.init_number
            init_name = f"init-{number:04d}.mp4"
            init, info = self._inits[number]
            if number not in self._published_init:
                self._publisher.put(f"{self.prefix}/{init_name}", init, "video/mp4")
                self._published_init.add(number)
            # the serial runs on across cuts and packagers, and is used up even when the put fails (the
            # store may have stored it all the same): a name is never published with other bytes
            self._segment_serial += 1
            name = f"{number:04d}-{self._segment_serial:06d}.m4s"
            self._publisher.put(f"{self.prefix}/{name}", segment.data, "video/iso.segment")
            self.segments_published += 1
            self._peak_rate = max(self._peak_rate, len(segment.data) * 8 / max(segment.duration, 0.001))
            self._publish_multivariant(info)
            self._expired.extend(self.delay.record(segment, name, init_name))
            self._playlist_stale = wrote = True
        if self._status_written is not self.delay.state:
            self._write_status()
            self._playlist_stale = wrote = True
        if self._playlist_stale:
            self._publish_playlist()
            wrote = True
        # a segment that left the window stays for as long as a player may still hold a playlist
        # listing it (RFC 8216 section 6.2.2): about one window more
        while len(self._expired) > self.delay.listed_segments + 1:
            self._publisher.delete(f"{self.prefix}/{self._expired[0].name}")
            self._expired.pop(0)
            wrote = True
        return wrote

    def _publish_playlist(self) -> None:
        self._publisher.put(f"{self.prefix}/{PLAYLIST}", self.delay.playlist().encode(), PLAYLIST_TYPE)
        self._playlist_stale = False

    def _publish_multivariant(self, info: MediaInfo) -> None:
        """(Re)write index.m3u8 when the codecs or picture size changed, or the peak bit rate outgrew
        what it declares."""
        declared = self._declared
        if (
            declared is not None
            and (declared.codecs, declared.resolution) == (info.codecs, info.resolution)
            and self._peak_rate <= declared.bandwidth
        ):
            return
        variant = Variant(
            PLAYLIST, math.ceil(self._peak_rate * _BANDWIDTH_HEADROOM), info.codecs, info.resolution
        )
        text = render_multivariant_playlist([variant])
        self._publisher.put(f"{self.prefix}/{MULTIVARIANT}", text.encode(), PLAYLIST_TYPE)
        self._declared = variant

    def _write_status(self) -> None:
        state = self.delay.state
        body = {
            "state": str(state),
            "delay_seconds": self.delay.delay_seconds,
            "updated": self._clock.now().isoformat(),
        }
        self._publisher.put(f"{self.prefix}/{STATUS}", json.dumps(body).encode(), "application/json")
        self._status_written = state

    def _close_quietly(self, packager: HlsPackager) -> None:
        try:
            packager.close()
        except HlsError as exc:
            logger.info("public %s: last segment not packaged: %s", self.feed_id, exc)


class _SoundInput:
    """The FeedSink through which a broadcast's sound feed hands over its packets."""

    def __init__(self, broadcast: PublicBroadcast) -> None:
        self._broadcast = broadcast

    def accept(self, packet: RelayedPacket) -> None:
        self._broadcast.accept_sound(packet)


class _FailureLog:
    """Bounded logging of a broadcast's publishing failures: the first at once, then one line a
    minute with the count while the store keeps failing, and one when it works again."""

    def __init__(self, feed_id: str, clock: Clock) -> None:
        self._feed_id = feed_id
        self._clock = clock
        self._failures = 0
        self._logged_at = -float("inf")

    def failed(self, exc: HlsError) -> None:
        self._failures += 1
        now = self._clock.monotonic()
        if now - self._logged_at >= _FAILURE_LOG_SECONDS:
            self._logged_at = now
            logger.error(
                "public %s: publishing failed (%d times so far): %s", self._feed_id, self._failures, exc
            )

    def succeeded(self) -> None:
        if self._failures:
            logger.warning(
                "public %s: publishing works again after %d failures", self._feed_id, self._failures
            )
            self._failures = 0
            self._logged_at = -float("inf")
