"""The agent's live publisher: one stream to a WHIP endpoint, reconnecting by itself, in its own thread.

It never slows the recorder: it reads the recorder's bounded tap queues from one bridge thread per
media kind (video packets as they are; audio encoded to Opus here; an audio-only stream has only
the audio one) and runs aiortc on a private event loop in another. Whatever happens to the link
or the server, it logs, waits (backoff up to a few seconds) and reconnects until
:meth:`LivePublisher.stop`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import random
import threading
import time

import av

from streaming.errors import PublishError
from streaming.ice import IcePolicy
from streaming.packet_track import MediaPacket
from streaming.publisher.link import PublisherLink
from streaming.publisher.link_quality import LinkQuality, LiveMode
from streaming.publisher.live_input import LiveInput
from streaming.publisher.opus_encoder import OpusEncoder
from streaming.publisher.whip_client import WhipClient

logger = logging.getLogger(__name__)

_POLL_SECONDS = 0.2


class LivePublisher:
    """Publishes one stream; ``start()`` once, ``stop()`` once (from any thread)."""

    def __init__(
        self,
        name: str,
        client: WhipClient,
        policy: IcePolicy,
        source: LiveInput,
        *,
        dead_link_seconds: float = 5.0,
        max_backoff_seconds: float = 5.0,
        telemetry_seconds: float = 2.0,
        quality: LinkQuality | None = None,
    ) -> None:
        self.name = name
        self._client = client
        self._policy = policy
        self._source = source
        self._dead_after = dead_link_seconds
        self._max_backoff = max_backoff_seconds
        self._telemetry_seconds = telemetry_seconds
        self._stopping = threading.Event()
        self._loop_ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._threads: list[threading.Thread] = []
        self._link: PublisherLink | None = None
        self._resync = True
        self.quality = quality or LinkQuality()
        self.connections = 0

    @property
    def connected(self) -> bool:
        """True while a WHIP session is up and carrying media."""
        return self._link is not None

    def start(self) -> None:
        """Start the loop thread and the bridge threads."""
        targets = [(self._run_loop, "loop")]
        if self._source.video is not None:
            targets.append((self._bridge_video, "video"))
        if self._source.audio is not None:
            targets.append((self._bridge_audio, "audio"))
        for target, role in targets:
            thread = threading.Thread(target=target, name=f"live-{self.name}-{role}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        """End the session (WHIP DELETE when reachable) and the threads; waits up to ``timeout`` s."""
        self._stopping.set()
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.1, deadline - time.monotonic()))

    # --- the event-loop thread -------------------------------------------------------------

    def _run_loop(self) -> None:
        asyncio.run(self._supervise())

    async def _supervise(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._loop_ready.set()
        backoff = 0.5
        while not self._stopping.is_set():
            began = time.monotonic()
            try:
                await self._hold_one_session()
            except PublishError as exc:
                logger.warning("live %s: %s; reconnecting", self.name, exc)
            except Exception:  # the live supervisor: log, back off, retry; the recording goes on
                logger.exception("live %s: unexpected publisher error; reconnecting", self.name)
            if self._stopping.is_set():
                break
            if time.monotonic() - began > 10 * self._max_backoff:
                backoff = 0.5
            await self._sleep(backoff * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not crypto
            backoff = min(backoff * 2, self._max_backoff)

    async def _sleep(self, seconds: float) -> None:
        assert self._wake is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _hold_one_session(self) -> None:
        link = PublisherLink(
            self._policy, self._client, self._source.request_keyframe, self.quality, kinds=self._source.kinds
        )
        try:
            await link.open()
            self.connections += 1
            self.quality.start(time.monotonic())
            self._resync = True
            self._link = link
            logger.info("live %s: publishing (connection %d)", self.name, self.connections)
            await self._watch(link)
        finally:
            self._link = None
            await link.close(end_session=self._stopping.is_set())

    async def _watch(self, link: PublisherLink) -> None:
        next_report = 0.0
        while not self._stopping.is_set():
            await self._sleep(_POLL_SECONDS)
            now = time.monotonic()
            link.check_alive(now, self._dead_after)
            self.quality.tick(now)
            if self._source.telemetry is not None and now >= next_report:
                link.send_telemetry(self._source.telemetry())
                next_report = now + self._telemetry_seconds

    def _deliver_video(self, packet: MediaPacket) -> None:
        link = self._link
        if link is None or link.video is None:
            return
        mode_before = self.quality.mode
        now = time.monotonic()
        if self.quality.tick(now) is LiveMode.FULL and mode_before is LiveMode.KEYFRAMES_ONLY:
            self._resync = True  # the frames in between were never sent: restart at a keyframe
        if (self.quality.mode is LiveMode.KEYFRAMES_ONLY or self._resync) and not packet.is_keyframe:
            if self._resync:
                self._source.request_keyframe()
            return
        self._resync = False
        self.quality.sent(packet.size, now)
        link.video.offer(packet)

    def _deliver_audio(self, packets: list[MediaPacket]) -> None:
        link = self._link
        if link is not None and link.audio is not None:
            for packet in packets:
                link.audio.offer(packet)

    # --- bridge threads ----------------------------------------------------------------------

    def _bridge_video(self) -> None:
        source = self._source.video
        assert source is not None
        self._loop_ready.wait()
        while not self._stopping.is_set():
            try:
                item = source.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            packet = av.Packet(item.data)
            packet.pts = item.pts
            packet.time_base = item.time_base
            packet.is_keyframe = item.keyframe
            if not self._call_soon(self._deliver_video, packet):
                return

    def _bridge_audio(self) -> None:
        source = self._source.audio
        assert source is not None
        encoder = OpusEncoder()
        self._loop_ready.wait()
        while not self._stopping.is_set():
            try:
                frame = source.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            packets = encoder.encode(frame)
            if packets and not self._call_soon(self._deliver_audio, packets):
                return

    def _call_soon(self, callback: object, argument: object) -> bool:
        loop = self._loop
        if loop is None or loop.is_closed():
            return False
        try:
            loop.call_soon_threadsafe(callback, argument)  # type: ignore[arg-type]
        except RuntimeError:  # the loop closed in between
            return False
        return True
