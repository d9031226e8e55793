"""Server side of one WHIP publication: a receive-only peer connection feeding a :class:`Feed`.

Received H.264 and Opus frames are taken before aiortc's decoder (``receiver_hooks``) and handed
to the feed as packets; the data channel ``telemetry`` goes to the telemetry board. A publication
carries H.264 video with or without Opus audio, or Opus audio alone (a courtroom microphone).

A session that is not connected ``connect_seconds`` after its answer (the publisher never completed
ICE), or that sends no media for ``idle_seconds`` once connected, is closed by its watchdog, which
frees its feed for the next publisher.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import av
from aiortc import (
    MediaStreamTrack,
    RTCDataChannel,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError

from streaming.codec_preferences import (
    MEDIA_KINDS,
    NEGOTIATION_ERRORS,
    h264_only,
    offered_kinds,
    opus_only,
)
from streaming.dtls import accept_rsa_dtls_servers
from streaming.errors import SignalingError
from streaming.ice import IcePolicy
from streaming.server.feed import Feed
from streaming.server.receiver_hooks import receive_encoded, request_keyframe
from streaming.server.telemetry_board import TelemetryBoard
from streaming.telemetry import CHANNEL_LABEL, parse_report

logger = logging.getLogger(__name__)


class IngestSession:
    """A publisher's connection; :meth:`close` is idempotent and calls ``on_closed`` once."""

    def __init__(
        self,
        session_id: str,
        *,
        device_id: str,
        feed: Feed,
        policy: IcePolicy,
        telemetry: TelemetryBoard,
        on_closed: Callable[[IngestSession], None],
        connect_seconds: float = 15.0,
        idle_seconds: float = 20.0,
    ) -> None:
        """``connect_seconds`` and ``idle_seconds`` bound how long the session may stay without a
        connection, and without media once connected, before its watchdog closes it."""
        self.session_id = session_id
        self.device_id = device_id
        self.feed = feed
        self._policy = policy
        self._telemetry = telemetry
        self._on_closed = on_closed
        accept_rsa_dtls_servers()  # we answer as the DTLS client: RSA peers must be able to serve
        self._pc = RTCPeerConnection(policy.configuration())
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._video: RTCRtpTransceiver | None = None
        self._main_kind = "video"
        self._pc.on("track", self._on_track)
        self._pc.on("datachannel", self._on_datachannel)
        self._pc.on("connectionstatechange", self._on_state)
        self._connect_seconds = connect_seconds
        self._idle_seconds = idle_seconds
        self._connected = asyncio.Event()
        self._last_media_at = time.monotonic()
        self._watchdog: asyncio.Task[None] | None = None

    async def answer(self, offer_sdp: str) -> str:
        """Apply the publisher's offer and return our answer SDP (all candidates included).

        Raises SignalingError when the offer is unusable (neither video nor audio, no H.264 or Opus
        in common, malformed SDP).
        """
        kinds = MEDIA_KINDS & offered_kinds(offer_sdp)
        if not kinds:
            raise SignalingError("the WHIP offer has neither a video nor an audio m-line")
        if "video" in kinds:
            self._video = self._pc.addTransceiver("video", direction="recvonly")
            self._video.setCodecPreferences(h264_only())
        else:
            self._main_kind = "audio"
        if "audio" in kinds:
            self._pc.addTransceiver("audio", direction="recvonly").setCodecPreferences(opus_only())
        try:
            await self._pc.setRemoteDescription(
                RTCSessionDescription(sdp=self._policy.filter_sdp(offer_sdp), type="offer")
            )
            with self._policy.gathering():
                await self._pc.setLocalDescription(await self._pc.createAnswer())
        except NEGOTIATION_ERRORS as exc:
            raise SignalingError(f"cannot negotiate the WHIP offer: {exc}") from exc
        self.feed.attach_ingest(self._request_keyframe, kinds)
        self._watchdog = asyncio.ensure_future(self._watch())
        return self._pc.localDescription.sdp

    async def close(self) -> None:
        """End the publication and release the connection."""
        if self._closed:
            return
        self._closed = True
        self.feed.detach_ingest(self._request_keyframe)
        for task in list(self._tasks):
            task.cancel()
        if self._watchdog is not None and self._watchdog is not asyncio.current_task():
            self._watchdog.cancel()
        await self._pc.close()
        self._on_closed(self)

    async def _request_keyframe(self) -> bool:
        return self._video is not None and await request_keyframe(self._video.receiver)

    def _on_track(self, track: MediaStreamTrack) -> None:
        receive_encoded(track)
        task = asyncio.ensure_future(self._pump(track))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _pump(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                packet = await track.recv()
                self._last_media_at = time.monotonic()
                if isinstance(packet, av.Packet):
                    self.feed.publish(track.kind, packet)
        except MediaStreamError:
            logger.info("ingest %s (%s): %s track ended", self.session_id, self.feed.feed_id, track.kind)
            if track.kind == self._main_kind:
                await self.close()

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        if channel.label != CHANNEL_LABEL:
            logger.warning("ingest %s: ignoring data channel %r", self.session_id, channel.label)
            return

        def on_message(message: str | bytes) -> None:
            report = parse_report(message)
            if report is None:
                return
            if report.device_id != self.device_id:
                logger.warning(
                    "ingest %s: telemetry for %s from device %s dropped",
                    self.session_id,
                    report.device_id,
                    self.device_id,
                )
                return
            self._telemetry.update(self.feed.feed_id, report)

        channel.on("message", on_message)

    async def _on_state(self) -> None:
        state = self._pc.connectionState
        logger.info("ingest %s (%s): connection %s", self.session_id, self.feed.feed_id, state)
        if state == "connected":
            self._connected.set()
        if state in ("failed", "closed"):
            await self.close()

    async def _watch(self) -> None:
        """Close the session when it does not connect in time, or its media stops."""
        try:
            await asyncio.wait_for(self._connected.wait(), self._connect_seconds)
        except TimeoutError:
            logger.warning(
                "ingest %s (%s): not connected after %.1f s; closing it",
                self.session_id,
                self.feed.feed_id,
                self._connect_seconds,
            )
            await self.close()
            return
        self._last_media_at = max(self._last_media_at, time.monotonic())
        while not self._closed:
            silent_for = time.monotonic() - self._last_media_at
            if silent_for >= self._idle_seconds:
                logger.warning(
                    "ingest %s (%s): no media for %.1f s; closing it",
                    self.session_id,
                    self.feed.feed_id,
                    silent_for,
                )
                await self.close()
                return
            await asyncio.sleep(self._idle_seconds - silent_for)
