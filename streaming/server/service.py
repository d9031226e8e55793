"""The live service: feeds, publisher and viewer sessions, public broadcasts, telemetry — one per
server process, and the only thing the HTTP routes and the portal call.

It runs on the server's event loop. Construction does no work; :meth:`LiveService.start` (loads
the face-masking detector, opens the configured public feeds, withdraws leftover public files)
and :meth:`LiveService.stop` must be awaited by whoever runs it: the standalone app's lifespan,
or the host app that mounts ours (Starlette does not run a mounted app's lifespan).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time

from streaming.errors import (
    FeedNotFoundError,
    FeedTakenError,
    PublishRefusedError,
    SessionLimitError,
    SessionNotFoundError,
    SignalingError,
)
from streaming.feed_id import feed_id_of
from streaming.ice import IcePolicy
from streaming.public.broadcasts import PublicBroadcasts, TransformFactory, sound_preferences
from streaming.public.segment_publisher import DirectoryPublisher, SegmentPublisher
from streaming.server.auth import FeedScope
from streaming.server.bindings import DeviceBindings, SettingsBindings
from streaming.server.egress import ViewerSession
from streaming.server.feed import Feed, FeedLabel
from streaming.server.ingest import IngestSession
from streaming.server.status import FeedStatus, PublicStatus, SessionAnswer
from streaming.server.telemetry_board import TelemetryBoard
from streaming.settings import StreamingSettings

logger = logging.getLogger(__name__)

_REAP_SECONDS = 1.0


class LiveService:
    """Owns every feed and session of this process."""

    def __init__(
        self,
        settings: StreamingSettings,
        *,
        policy: IcePolicy | None = None,
        segment_publisher: SegmentPublisher | None = None,
        mask_factory: TransformFactory | None = None,
        bindings: DeviceBindings | None = None,
    ) -> None:
        """``segment_publisher`` receives public HLS files (default: ``settings.public_dir``), and
        everything it holds that no broadcast opened here owns is withdrawn at :meth:`start`;
        ``mask_factory`` makes the face-masking transform (default: OpenCV's Haar frontal-face
        cascade, or the YuNet model ``settings.face_model`` when set, loaded at start);
        ``bindings`` decide which device may publish which feed (default: ``settings.device_rooms``)."""
        self.settings = settings
        self.bindings: DeviceBindings = bindings or SettingsBindings(settings.device_rooms)
        # feed id -> (public broadcast id, device): who publishes a feed on public air
        self._on_air: dict[str, tuple[str, str]] = {}
        self.policy = policy or IcePolicy.from_lists(
            settings.ice_servers,
            settings.ice_host_addresses,
            settings.ice_allowed_networks,
            gather_loopback=settings.ice_gather_loopback,
        )
        self.telemetry = TelemetryBoard()
        self._feeds: dict[str, Feed] = {}
        self._ingests: dict[str, IngestSession] = {}
        self._viewers: dict[str, ViewerSession] = {}
        self._reaper: asyncio.Task[None] | None = None
        self.public = PublicBroadcasts(
            settings,
            segment_publisher or DirectoryPublisher(settings.public_dir),
            mask_factory=mask_factory,
        )
        self._started = False

    async def start(self) -> None:
        """Start serving (idempotent): load the masking detector off the loop, open the configured
        public feeds, withdraw leftovers. Raises FaceMaskingError when a configured public feed is to
        be masked and masking cannot run here."""
        if self._started:
            return
        self._started = True
        await asyncio.to_thread(self.public.prepare_masking)
        for feed_id in self.settings.public_feeds:
            self.public.open(feed_id, None)
        # whatever an earlier process left public (it crashed, shut down, or its store was down when a
        # broadcast closed) goes now, in the background: only broadcasts on air have public files
        self.public.withdraw_leftovers()

    def feed(self, feed_id: str) -> Feed:
        """The feed ``feed_id`` while it is live or recently lost; raises FeedNotFoundError."""
        feed = self._feeds.get(feed_id)
        if feed is None or not self._listed(feed, time.monotonic()):
            raise FeedNotFoundError(f"no live feed {feed_id!r}")
        return feed

    def listed_feeds(self) -> list[Feed]:
        """Feeds with a publisher now (connecting or live), or lost less than ``lost_feed_seconds``
        ago, by id."""
        now = time.monotonic()
        return [feed for _, feed in sorted(self._feeds.items()) if self._listed(feed, now)]

    def feed_statuses(self) -> list[FeedStatus]:
        """Every listed feed (see :meth:`listed_feeds`) with its label, freshness, telemetry and
        public broadcast, by id."""
        now = time.monotonic()
        telemetry = self.telemetry.snapshot()
        return [
            FeedStatus(
                feed_id=feed.feed_id,
                room=feed.label.room,
                stream=feed.label.stream,
                device_id=feed.label.device_id,
                kinds=tuple(sorted(feed.kinds)),
                connected=feed.ingest_connected,
                seconds_since_frame=None
                if feed.last_frame_at is None
                else round(now - feed.last_frame_at, 1),
                viewers=feed.viewer_count,
                telemetry=telemetry.get(feed.feed_id),
                public=self.public_state(feed.feed_id),
            )
            for feed in self.listed_feeds()
        ]

    def telemetry_snapshot(self) -> dict[str, dict[str, object]]:
        """The latest telemetry report of every feed that sent one, as JSON with ``age_seconds``."""
        return self.telemetry.snapshot()

    def feed_or_create(self, room: str, stream: str, device_id: str) -> Feed:
        """The feed ``room/stream``, created when new; it keeps its viewers across publishers."""
        feed_id = feed_id_of(room, stream)
        feed = self._feeds.get(feed_id)
        if feed is None:
            label = FeedLabel(room=room, stream=stream, device_id=device_id)
            feed = self._feeds[feed_id] = Feed(
                feed_id, label, keyframe_interval=self.settings.keyframe_request_seconds
            )
            self.public.attach(feed)
        feed.label.device_id = device_id
        return feed

    def check_publish(self, device_id: str, room: str, stream: str) -> str:
        """The feed id of ``room/stream`` if ``device_id`` may publish it now.

        Raises InvalidNameError (bad names), PublishRefusedError when the device is not bound to the
        feed, or when the feed is on public air from another device: a broadcast keeps its device
        until it is closed, even if that device drops out (take-over protection)."""
        feed_id = feed_id_of(room, stream)
        if not self.bindings.may_publish(device_id, room, stream):
            raise PublishRefusedError(f"device {device_id} is not bound to feed {feed_id}")
        on_air = self._on_air_device(feed_id)
        if on_air is not None and on_air != device_id:
            raise PublishRefusedError(
                f"feed {feed_id} is on public air from device {on_air}; another device may publish it "
                "only after its public broadcast is closed"
            )
        return feed_id

    async def publish(self, device_id: str, room: str, stream: str, offer_sdp: str) -> SessionAnswer:
        """Accept a WHIP offer from ``device_id``; returns the session id and answer SDP.

        A newer publication of the same feed by the same device replaces the older one (the
        publisher reconnected). The session counts against the device's cap from this call on,
        while it connects. Raises SignalingError, InvalidNameError (bad names), PublishRefusedError
        (see :meth:`check_publish`), FeedTakenError (another device publishes that feed now),
        SessionLimitError (the device holds ``max_sessions_per_device`` sessions of other feeds).
        """
        self._start_reaper()
        feed_id = self.check_publish(device_id, room, stream)
        holders = {s.device_id for s in self._ingests.values() if s.feed.feed_id == feed_id}
        if holders - {device_id}:
            raise FeedTakenError(f"feed {feed_id} is being published by another device")
        others = [s for s in self._ingests.values() if s.device_id == device_id and s.feed.feed_id != feed_id]
        cap = self.settings.max_sessions_per_device
        if len(others) >= cap:
            raise SessionLimitError(
                f"device {device_id} already holds {len(others)} WHIP sessions (at most {cap}); "
                "end one (DELETE its session URL) before publishing another feed"
            )
        stale = self._feeds.get(feed_id)
        if stale is not None and not self._listed(stale, time.monotonic()):
            # lost for longer than lost_feed_seconds: the reaper would remove it under the new
            # publication; the new publication starts a new feed (a new timeline) instead
            await self._remove_feed(feed_id, stale)
        feed = self.feed_or_create(room, stream, device_id)
        session_id = secrets.token_urlsafe(16)
        session = IngestSession(
            session_id,
            device_id=device_id,
            feed=feed,
            policy=self.policy,
            telemetry=self.telemetry,
            on_closed=self._ingest_closed,
            connect_seconds=self.settings.ingest_connect_seconds,
            idle_seconds=self.settings.lost_feed_seconds,
        )
        previous = [s for s in self._ingests.values() if s.feed is feed]
        self._ingests[session_id] = session  # held while it negotiates: the cap and feed see it
        try:
            answer = await session.answer(offer_sdp)
        except SignalingError:
            await session.close()
            raise
        for old in previous:
            logger.info("feed %s: publisher reconnected; closing session %s", feed.feed_id, old.session_id)
            await old.close()
        self._pin_on_air(feed_id, device_id)
        return SessionAnswer(session_id, answer)

    def session_count(self, device_id: str) -> int:
        """The WHIP sessions ``device_id`` holds now (connecting or live)."""
        return sum(1 for s in self._ingests.values() if s.device_id == device_id)

    async def unpublish(self, session_id: str, device_id: str) -> None:
        """End a publication (WHIP DELETE); raises SessionNotFoundError unless ``device_id`` owns it."""
        session = self._ingests.get(session_id)
        if session is None or session.device_id != device_id:
            raise SessionNotFoundError(f"no WHIP session {session_id!r}")
        await session.close()

    async def watch(self, feed_id: str, offer_sdp: str) -> SessionAnswer:
        """Accept a WHEP offer for ``feed_id``; returns the session id and answer SDP.

        Raises FeedNotFoundError, SignalingError.
        """
        feed = self.feed(feed_id)
        session_id = secrets.token_urlsafe(16)
        session = ViewerSession(session_id, feed, self.policy, self._viewer_closed)
        try:
            answer = await session.answer(offer_sdp)
        except SignalingError:
            await session.close()
            raise
        self._viewers[session_id] = session
        return SessionAnswer(session_id, answer)

    async def stop_watching(self, session_id: str, scope: FeedScope) -> None:
        """End a viewer session (WHEP DELETE); raises SessionNotFoundError, also for a session that
        watches a feed outside ``scope`` (its existence is not revealed)."""
        session = self._viewers.get(session_id)
        if session is None or not scope.allows(session.feed.feed_id):
            raise SessionNotFoundError(f"no WHEP session {session_id!r}")
        await session.close()

    def open_public(
        self,
        feed_id: str,
        *,
        mask: bool | None = None,
        delay: float | None = None,
        sound_feed_id: str | None = None,
        cut: bool = False,
    ) -> None:
        """Broadcast ``feed_id`` publicly (live or not yet), masked per ``mask`` (default: the
        ``mask_faces`` setting), with the sound of ``sound_feed_id`` (the room's microphone) while
        that feed is live, of the room's microphones' mix while that is, already cut when ``cut``;
        raises FaceMaskingError when masking is asked for but unavailable."""
        feed = self._feeds.get(feed_id)
        sounds = [self._feeds[i] for i in sound_preferences(sound_feed_id) if i in self._feeds]
        self.public.open(
            feed_id, feed, mask=mask, delay=delay, sound_feed_id=sound_feed_id, sound_feeds=sounds, cut=cut
        )
        if feed is not None and self._listed(feed, time.monotonic()):
            self._pin_on_air(feed_id, feed.label.device_id)

    def public_state(self, feed_id: str) -> PublicStatus | None:
        """The public broadcast state of ``feed_id`` (None when it is not broadcast)."""
        return self.public.state(feed_id)

    def public_broadcasts(self) -> dict[str, PublicStatus]:
        """Every public broadcast open now, by feed id."""
        statuses = {feed_id: self.public_state(feed_id) for feed_id in self.public.feed_ids()}
        return {feed_id: status for feed_id, status in statuses.items() if status is not None}

    def is_public(self, feed_id: str) -> bool:
        """True while ``feed_id`` is broadcast publicly."""
        return self.public.is_public(feed_id)

    def public_broadcast_id(self, feed_id: str) -> str | None:
        """The id of ``feed_id``'s public broadcast now (None when it is not public)."""
        return self.public.broadcast_id(feed_id)

    def public_media_path(self, feed_id: str) -> str:
        """The directory (``room/stream/{broadcast id}``) of the broadcast's public files now;
        raises FeedNotFoundError when it is not broadcast publicly."""
        return self.public.media_path(feed_id)

    async def close_public(self, feed_id: str) -> None:
        """End the public broadcast and withdraw its files; raises FeedNotFoundError when not open."""
        await self.public.close(feed_id)

    def cut_public(self, feed_id: str) -> int:
        """The clerk's cut; returns the segments withheld. Raises FeedNotFoundError when not open."""
        return self.public.cut(feed_id)

    def resume_public(self, feed_id: str) -> None:
        """Publish again after a cut (after the delay); raises FeedNotFoundError when not open."""
        self.public.resume(feed_id)

    async def stop(self) -> None:
        """Close every session and public broadcast (at shutdown)."""
        await self.public.aclose()
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        for viewer in list(self._viewers.values()):
            await viewer.close()
        for ingest in list(self._ingests.values()):
            await ingest.close()
        for feed in self._feeds.values():
            feed.close()
        self._feeds.clear()

    async def aclose(self) -> None:
        """The same as :meth:`stop`."""
        await self.stop()

    def _on_air_device(self, feed_id: str) -> str | None:
        """The device that publishes ``feed_id``'s public broadcast now (None: not public, or no
        device has published it since the broadcast opened)."""
        broadcast = self.public_broadcast_id(feed_id)
        if broadcast is None:
            self._on_air.pop(feed_id, None)
            return None
        pinned = self._on_air.get(feed_id)
        if pinned is not None and pinned[0] == broadcast:
            return pinned[1]
        feed = self._feeds.get(feed_id)
        if feed is not None and self._listed(feed, time.monotonic()):
            return feed.label.device_id
        return None

    def _pin_on_air(self, feed_id: str, device_id: str) -> None:
        broadcast = self.public_broadcast_id(feed_id)
        if broadcast is None:
            self._on_air.pop(feed_id, None)
        else:
            self._on_air[feed_id] = (broadcast, device_id)

    def _ingest_closed(self, session: IngestSession) -> None:
        self._ingests.pop(session.session_id, None)

    def _viewer_closed(self, session: ViewerSession) -> None:
        self._viewers.pop(session.session_id, None)

    def _start_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.ensure_future(self._reap())

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(_REAP_SECONDS)
            now = time.monotonic()
            for feed_id, feed in list(self._feeds.items()):
                if not self._listed(feed, now):
                    await self._remove_feed(feed_id, feed)

    async def _remove_feed(self, feed_id: str, feed: Feed) -> None:
        """Remove a feed whose publisher has been gone too long (its viewers' sessions end)."""
        if self._feeds.get(feed_id) is not feed:
            return  # removed already
        logger.info("feed %s: publisher gone; removing it", feed_id)
        del self._feeds[feed_id]
        self.public.detach(feed)
        self.telemetry.forget(feed_id)
        for session in [s for s in self._viewers.values() if s.feed is feed]:
            await session.close()
        feed.close()

    def _listed(self, feed: Feed, now: float) -> bool:
        lost_for = self.settings.lost_feed_seconds
        return feed.ingest_attached or (
            feed.disconnected_at is not None and now - feed.disconnected_at < lost_for
        )


def _since(then: float | None, now: float) -> float | None:
    return None if then is None else round(now - then, 1)
