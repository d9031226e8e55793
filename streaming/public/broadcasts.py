"""Which feeds are broadcast publicly, and the clerk's controls (open, close, cut, resume).

Lives on the server's event loop. A feed is public only while a broadcast exists for it; closing
one withdraws every public file of it, so a hearing that is not (or no longer) public has nothing
at any public URL. Each broadcast publishes under a directory of its own (``room/stream/{id}/``),
so a feed's next broadcast never reuses a URL of the previous one, and a withdrawal that is still
being retried (store down) can never touch the files of a broadcast on air.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence

from archive.formats import MIXED_SOUND_STREAM
from streaming.errors import FaceMaskingError, FeedNotFoundError, HlsError
from streaming.public.broadcast import PublicBroadcast
from streaming.public.broadcast_id import new_broadcast_id
from streaming.public.delay_line import DelayLine
from streaming.public.face_mask import default_mask_factory
from streaming.public.packager import VideoTransform
from streaming.public.playlist import live_target_duration
from streaming.public.segment_publisher import SegmentPublisher
from streaming.public.withdrawals import Withdrawals
from streaming.server.feed import Feed
from streaming.server.status import PublicStatus
from streaming.settings import StreamingSettings
from timebase import Clock, SystemClock
from timebase.backoff import Backoff

logger = logging.getLogger(__name__)

TransformFactory = Callable[[], VideoTransform]


class PublicBroadcasts:
    """Every public broadcast of this server, by feed id.

    ``mask_factory`` makes the face-masking transform of a masked broadcast; by default it is
    built from the settings (face_mask.py) by :meth:`prepare_masking`, and when that fails
    (cascade or model file missing or bad) masked broadcasts are refused with the reason, while
    unmasked ones still open.
    ``retry`` paces the retries of withdrawals the store failed; ``clock`` times the broadcasts'
    delays and the withdrawals' retries.
    """

    def __init__(
        self,
        settings: StreamingSettings,
        publisher: SegmentPublisher,
        *,
        mask_factory: TransformFactory | None = None,
        retry: Backoff | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._clock: Clock = clock or SystemClock()
        self._settings = settings
        self._publisher = publisher
        self._on_air_lock = threading.Lock()
        self._on_air: set[str] = set()  # the directories of open broadcasts, read by the withdrawals
        self._withdrawals = Withdrawals(publisher, self._is_on_air, retry=retry, clock=self._clock)
        self._mask_factory = mask_factory
        self._mask_error: FaceMaskingError | None = None
        self._broadcasts: dict[str, PublicBroadcast] = {}
        self._feeds: dict[str, Feed] = {}
        self._sound_feeds: dict[str, Feed] = {}  # by the feed id of the broadcast they sound for
        self._sound_sources: dict[str, dict[str, Feed]] = {}  # the attached candidates, likewise
        self._keyframes: asyncio.Task[None] | None = None

    def is_public(self, feed_id: str) -> bool:
        """True while ``feed_id`` is broadcast publicly."""
        return feed_id in self._broadcasts

    def feed_ids(self) -> list[str]:
        """The feeds broadcast publicly now, sorted."""
        return sorted(self._broadcasts)

    def broadcast_id(self, feed_id: str) -> str | None:
        """The id of ``feed_id``'s broadcast now (None when it is not public)."""
        broadcast = self._broadcasts.get(feed_id)
        return broadcast.broadcast_id if broadcast is not None else None

    def media_path(self, feed_id: str) -> str:
        """The directory (``room/stream/{broadcast id}``) of the files of ``feed_id``'s broadcast now.

        Raises FeedNotFoundError when it is not broadcast publicly.
        """
        return self._get(feed_id).prefix

    @property
    def pending_withdrawals(self) -> list[str]:
        """Public files whose withdrawal the store has not confirmed yet (retried in the background)."""
        return self._withdrawals.pending

    def prepare_masking(self) -> None:
        """Build the default masking transform factory from the settings unless one was given (loads
        the cascade or model file: blocking, call at start off the event loop). When that fails,
        masked broadcasts are refused with the reason; a masked open before this prepares it then."""
        if self._mask_factory is not None or self._mask_error is not None:
            return
        try:
            self._mask_factory = default_mask_factory(self._settings)
        except FaceMaskingError as exc:
            logger.warning("face masking unavailable: %s", exc)
            self._mask_error = exc

    def withdraw_leftovers(self) -> None:
        """Withdraw, in the background and until the store confirms, every public file that belongs to
        no broadcast open now (left by a crash, a shutdown or a failed withdrawal). Call at start."""
        self._withdrawals.sweep()

    def open(
        self,
        feed_id: str,
        feed: Feed | None,
        *,
        mask: bool | None = None,
        delay: float | None = None,
        sound_feed_id: str | None = None,
        sound_feeds: Sequence[Feed] = (),
        cut: bool = False,
    ) -> None:
        """Broadcast ``feed_id`` publicly (idempotent); ``feed`` may arrive later via :meth:`attach`.
        ``cut``: opened already cut (nothing is published until :meth:`resume`).

        ``sound_feed_id`` names the feed whose audio is the broadcast's sound (the courtroom's
        microphone) while it is there — but the room's microphones' mix (:func:`sound_preferences`)
        while that is there; ``sound_feeds`` those of them that exist already (see broadcast.py).
        Raises FaceMaskingError naming the reason when the broadcast is to be masked and
        masking cannot run here (the broadcast is then not opened at all, never unmasked).
        """
        if feed_id in self._broadcasts:
            return
        if sound_feed_id == feed_id:
            sound_feed_id = None  # its own sound
        masked = self._settings.mask_faces if mask is None else mask
        if masked:
            self.prepare_masking()
        if masked and self._mask_factory is None:
            reason = f"face masking is not available on this server: {self._mask_error}"
            raise FaceMaskingError(reason) from self._mask_error
        broadcast = PublicBroadcast(
            feed_id,
            new_broadcast_id(self._clock.now()),
            self._publisher,
            DelayLine(
                self._settings.broadcast_delay_seconds if delay is None else delay,
                self._settings.hls_window_segments,
                live_target_duration(self._settings.hls_segment_seconds),
                clock=self._clock,
            ),
            segment_seconds=self._settings.hls_segment_seconds,
            transform_factory=self._mask_factory if masked else None,
            sound_feed_id=sound_feed_id,
        )
        if cut:  # before its thread starts: not a single segment gets through
            broadcast.delay.cut()
        with self._on_air_lock:  # before its first file: a start-up sweep must never take it for a leftover
            self._on_air.add(broadcast.prefix)
        self._broadcasts[feed_id] = broadcast
        broadcast.start()
        logger.info(
            "public %s: broadcast %s opened (delay %.0f s)%s",
            feed_id,
            broadcast.broadcast_id,
            broadcast.delay.delay_seconds,
            ", cut" if cut else "",
        )
        if feed is not None:
            self.attach(feed)
        for sound_feed in sound_feeds:
            self.attach(sound_feed)

    def sound_feed_id(self, feed_id: str) -> str | None:
        """The feed whose audio is the sound of ``feed_id``'s broadcast (None: its own sound, or not
        public)."""
        broadcast = self._broadcasts.get(feed_id)
        return broadcast.sound_feed_id if broadcast is not None else None

    def attach(self, feed: Feed) -> None:
        """Connect a (new or re-created) feed to the broadcast it shows or sounds for, if any."""
        broadcast = self._broadcasts.get(feed.feed_id)
        if broadcast is not None:
            previous = self._feeds.get(feed.feed_id)
            if previous is not None and previous is not feed:
                previous.remove_sink(broadcast)
            self._feeds[feed.feed_id] = feed
            feed.add_sink(broadcast)
            self._start_keyframe_requests()
        for shown, sounding in self._broadcasts.items():
            if feed.feed_id in sound_preferences(sounding.sound_feed_id):
                self._sound_sources.setdefault(shown, {})[feed.feed_id] = feed
                self._choose_sound(shown)

    def detach(self, feed: Feed) -> None:
        """``feed`` is going away (its publisher is gone for good): broadcasts it sounded for take
        the next sound they may (the microphone after the mix), else their camera's own sound again;
        a broadcast it showed waits for the feed to come back."""
        for shown, sources in self._sound_sources.items():
            if sources.get(feed.feed_id) is feed:
                del sources[feed.feed_id]
                self._choose_sound(shown)
        broadcast = self._broadcasts.get(feed.feed_id)
        if broadcast is not None and self._feeds.get(feed.feed_id) is feed:
            del self._feeds[feed.feed_id]
            feed.remove_sink(broadcast)

    def _choose_sound(self, shown: str) -> None:
        """Sound ``shown``'s broadcast from the best of its attached sound feeds (none: its own)."""
        sounding = self._broadcasts[shown]
        sources = self._sound_sources.get(shown, {})
        preferred = (sources[i] for i in sound_preferences(sounding.sound_feed_id) if i in sources)
        best = next(preferred, None)
        current = self._sound_feeds.get(shown)
        if best is current:
            return
        if current is not None:
            current.remove_sink(sounding.sound_input)
            del self._sound_feeds[shown]
        if best is not None:
            self._sound_feeds[shown] = best
            best.add_sink(sounding.sound_input)
            logger.info("public %s: sound from %s", shown, best.feed_id)
        sounding.sound_attached(best is not None)

    async def close(self, feed_id: str) -> None:
        """Stop broadcasting ``feed_id`` and withdraw all its public files.

        When the store fails, the withdrawal goes on in the background until it succeeds (see
        :attr:`pending_withdrawals`); the feed is no longer public either way, and may be opened
        again at once (as a new broadcast, under new names). Raises FeedNotFoundError when it is not
        broadcast publicly.
        """
        broadcast = self._broadcasts.pop(feed_id, None)
        if broadcast is None:
            raise FeedNotFoundError(f"{feed_id!r} is not broadcast publicly")
        feed = self._feeds.pop(feed_id, None)
        if feed is not None:
            feed.remove_sink(broadcast)
        self._sound_sources.pop(feed_id, None)
        sound = self._sound_feeds.pop(feed_id, None)
        if sound is not None:
            sound.remove_sink(broadcast.sound_input)
        ended = await asyncio.to_thread(broadcast.stop)
        with self._on_air_lock:
            self._on_air.discard(broadcast.prefix)
        await asyncio.to_thread(self._withdrawals.withdraw, broadcast.prefix)
        if not ended:
            logger.warning("public %s: broadcast thread still running; withdrawing again later", feed_id)
            self._withdrawals.withdraw_later(broadcast.prefix)

    def cut(self, feed_id: str) -> int:
        """The clerk's cut: withhold everything not yet published, at once; returns segments dropped."""
        dropped = self._get(feed_id).delay.cut()
        logger.warning("public %s: CUT by the clerk (%d pending segments withheld)", feed_id, dropped)
        return dropped

    def resume(self, feed_id: str) -> None:
        """Restart the public rendition after a cut (after the delay again)."""
        self._get(feed_id).delay.resume()
        feed = self._feeds.get(feed_id)
        if feed is not None:
            feed.request_keyframe()
        logger.warning("public %s: resumed by the clerk", feed_id)

    def state(self, feed_id: str) -> PublicStatus | None:
        """The broadcast's state for the wall and the clerk, or None when not public."""
        broadcast = self._broadcasts.get(feed_id)
        if broadcast is None:
            return None
        return PublicStatus(
            state=str(broadcast.delay.state),
            delay_seconds=broadcast.delay.delay_seconds,
            pending_segments=broadcast.delay.pending,
            published_segments=broadcast.segments_published,
        )

    async def aclose(self) -> None:
        """Stop every broadcast, leaving its files with an ended playlist (at shutdown; the next start
        withdraws them, see :meth:`withdraw_leftovers`)."""
        if self._keyframes is not None:
            self._keyframes.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keyframes
        for feed_id, broadcast in list(self._broadcasts.items()):
            feed = self._feeds.pop(feed_id, None)
            if feed is not None:
                feed.remove_sink(broadcast)
            self._sound_sources.pop(feed_id, None)
            sound = self._sound_feeds.pop(feed_id, None)
            if sound is not None:
                sound.remove_sink(broadcast.sound_input)
            await asyncio.to_thread(broadcast.stop)
            try:
                await asyncio.to_thread(broadcast.publish_ended)
            except HlsError as exc:
                logger.error("public %s: cannot mark the broadcast ended: %s", feed_id, exc)
        self._broadcasts.clear()
        await asyncio.to_thread(self._withdrawals.close)

    def _is_on_air(self, directory: str) -> bool:
        with self._on_air_lock:
            return directory in self._on_air

    def _get(self, feed_id: str) -> PublicBroadcast:
        broadcast = self._broadcasts.get(feed_id)
        if broadcast is None:
            raise FeedNotFoundError(f"{feed_id!r} is not broadcast publicly")
        return broadcast

    def _start_keyframe_requests(self) -> None:
        if self._keyframes is None or self._keyframes.done():
            self._keyframes = asyncio.ensure_future(self._request_keyframes())

    async def _request_keyframes(self) -> None:
        """Publishers with long GOPs (browsers) get a keyframe request per segment length."""
        while True:
            await asyncio.sleep(self._settings.hls_segment_seconds)
            for feed in self._feeds.values():
                feed.request_keyframe()


def sound_preferences(sound_feed_id: str | None) -> tuple[str, ...]:
    """The feeds whose audio may sound for a broadcast told to take ``sound_feed_id`` (``room/mic``),
    best first: the room's microphones' mix (``room/mix``, published when the room records two or
    more microphones), then that feed. None (the camera's own sound) is none."""
    if sound_feed_id is None:
        return ()
    room, _, _stream = sound_feed_id.rpartition("/")
    mixed = f"{room}/{MIXED_SOUND_STREAM}"
    return (sound_feed_id,) if mixed == sound_feed_id else (mixed, sound_feed_id)
