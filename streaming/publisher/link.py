"""One WHIP session of the agent's publisher: a send-only peer connection with a telemetry channel."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiortc import RTCPeerConnection, RTCSessionDescription

from streaming.codec_preferences import (
    MEDIA_KINDS,
    NEGOTIATION_ERRORS,
    checked_kinds,
    h264_only,
    opus_only,
)
from streaming.dtls import accept_rsa_dtls_servers
from streaming.errors import PublishError
from streaming.ice import IcePolicy
from streaming.packet_track import PacketTrack
from streaming.publisher.link_quality import LinkQuality
from streaming.publisher.whip_client import WhipClient, WhipSession
from streaming.sender_feedback import SenderFeedback, observe_sender
from streaming.telemetry import CHANNEL_LABEL, TelemetryReport

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 10.0


class PublisherLink:
    """Negotiates over WHIP, then carries ``video``/``audio`` packet tracks until closed.

    ``kinds`` are the media it offers (``video`` and/or ``audio``): a track exists only for
    those, the other attribute is None. Server feedback is wired in: PLI/FIR call
    ``request_keyframe``; REMB and loss reports feed ``quality``; any RTCP at all counts as a sign of
    life (see :meth:`check_alive`) — from the video sender, or from the audio sender of an
    audio-only stream (the server's receiver reports on every stream it gets).
    """

    def __init__(
        self,
        policy: IcePolicy,
        client: WhipClient,
        request_keyframe: Callable[[], None],
        quality: LinkQuality,
        *,
        kinds: frozenset[str] = MEDIA_KINDS,
    ) -> None:
        kinds = checked_kinds(kinds)
        self._policy = policy
        self._client = client
        self._quality = quality
        accept_rsa_dtls_servers()  # a vendor's WHIP server may answer passive with an RSA certificate
        self._pc = RTCPeerConnection(policy.configuration())
        self._session: WhipSession | None = None
        self._connected = asyncio.Event()
        self._last_heard = time.monotonic()
        self.video: PacketTrack | None = None
        self.audio: PacketTrack | None = None
        if "video" in kinds:
            self.video = PacketTrack("video", maxsize=30, need_keyframe=request_keyframe)
            video = self._pc.addTransceiver(self.video, direction="sendonly")
            video.setCodecPreferences(h264_only())
            observe_sender(
                video.sender,
                SenderFeedback(
                    keyframe_requested=request_keyframe,
                    bitrate_estimated=lambda bps: quality.remb(bps, time.monotonic()),
                    loss_reported=lambda fraction: quality.loss(fraction, time.monotonic()),
                    heard=self._heard,
                ),
            )
        if "audio" in kinds:
            self.audio = PacketTrack("audio", maxsize=50)
            audio = self._pc.addTransceiver(self.audio, direction="sendonly")
            audio.setCodecPreferences(opus_only())
            if self.video is None:
                observe_sender(audio.sender, SenderFeedback(heard=self._heard))
        self._channel = self._pc.createDataChannel(CHANNEL_LABEL, ordered=True)
        self._pc.on("connectionstatechange", self._on_state)

    async def open(self) -> None:
        """Offer, POST to the WHIP endpoint, apply the answer, wait for the connection.

        Raises PublishError (refused, unreachable, unusable answer, no connection in time).
        """
        try:
            with self._policy.gathering():
                await self._pc.setLocalDescription(await self._pc.createOffer())
            self._session = await self._client.publish(self._pc.localDescription.sdp)
            answer = self._policy.filter_sdp(self._session.answer_sdp)
            await self._pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        except NEGOTIATION_ERRORS as exc:
            raise PublishError(f"WHIP negotiation failed: {exc!r}") from exc
        try:
            await asyncio.wait_for(self._connected.wait(), CONNECT_TIMEOUT_SECONDS)
        except TimeoutError as exc:
            raise PublishError(f"no WebRTC connection within {CONNECT_TIMEOUT_SECONDS:.0f} s") from exc
        if self._pc.connectionState != "connected":
            raise PublishError(f"WebRTC connection {self._pc.connectionState}")
        self._last_heard = time.monotonic()

    def check_alive(self, now: float, dead_after: float) -> None:
        """Raise PublishError when the connection failed or the server has been silent too long."""
        state = self._pc.connectionState
        if state in ("failed", "closed"):
            raise PublishError(f"WebRTC connection {state}")
        if now - self._last_heard > dead_after:
            raise PublishError(f"no RTCP from the server for {now - self._last_heard:.1f} s")

    def send_telemetry(self, report: TelemetryReport) -> None:
        """Send ``report`` on the telemetry channel if it is open (otherwise skip it)."""
        if self._channel.readyState == "open":
            self._channel.send(report.model_dump_json(exclude_none=True))

    async def close(self, *, end_session: bool) -> None:
        """Stop the tracks and the connection; with ``end_session`` also DELETE the WHIP session."""
        for track in (self.video, self.audio):
            if track is not None:
                track.stop()
        if end_session and self._session is not None:
            try:
                await self._client.end(self._session)
            except PublishError as exc:
                logger.info("WHIP session not ended cleanly: %s", exc)
        await self._pc.close()

    def _heard(self) -> None:
        self._last_heard = time.monotonic()

    def _on_state(self) -> None:
        state = self._pc.connectionState
        if state in ("connected", "failed", "closed"):
            self._connected.set()
