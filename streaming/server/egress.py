"""Server side of one WHEP viewer: a send-only peer connection fed by a :class:`Feed` without decoding.

The viewer gets the kinds the feed carries: H.264 video and Opus audio, or Opus alone for an
audio-only feed (both are forwarded as the publisher encoded them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiortc import RTCPeerConnection, RTCSessionDescription

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
from streaming.packet_track import PacketTrack
from streaming.sender_feedback import SenderFeedback, observe_sender
from streaming.server.feed import Feed

logger = logging.getLogger(__name__)


class ViewerSession:
    """One viewer of one feed; :meth:`close` is idempotent and calls ``on_closed`` once."""

    def __init__(
        self, session_id: str, feed: Feed, policy: IcePolicy, on_closed: Callable[[ViewerSession], None]
    ) -> None:
        self.session_id = session_id
        self.feed = feed
        self._policy = policy
        self._on_closed = on_closed
        self._closed = False
        accept_rsa_dtls_servers()  # we answer as the DTLS client: RSA peers must be able to serve
        self._pc = RTCPeerConnection(policy.configuration())
        self.video = PacketTrack("video", maxsize=90, need_keyframe=feed.request_keyframe)
        self.audio = PacketTrack("audio", maxsize=100)
        self._sending: list[PacketTrack] = []
        self._pc.on("connectionstatechange", self._on_state)

    def _add_transceivers(self, offer_sdp: str) -> None:
        """Send each kind the viewer offers and the feed carries; other offered kinds go inactive.

        The viewer must take the feed's main kind (video, or audio for an audio-only feed).
        """
        offered = offered_kinds(offer_sdp)
        feed = self.feed
        if feed.main_kind not in offered:
            raise SignalingError(f"the WHEP offer has no {feed.main_kind} m-line (feed {feed.feed_id})")
        for kind in sorted(offered & MEDIA_KINDS):
            if kind not in feed.kinds:
                # answered inactive: nothing to send, and nothing taken from the viewer either
                self._pc.addTransceiver(kind, direction="inactive")
            elif kind == "video":
                video = self._pc.addTransceiver(self.video, direction="sendonly")
                video.setCodecPreferences(h264_only())
                # a viewer's PLI/FIR goes upstream (rate-limited by the feed): we cannot encode one
                observe_sender(video.sender, SenderFeedback(keyframe_requested=feed.request_keyframe))
                self._sending.append(self.video)
            else:
                audio = self._pc.addTransceiver(self.audio, direction="sendonly")
                audio.setCodecPreferences(opus_only())
                self._sending.append(self.audio)

    async def answer(self, offer_sdp: str) -> str:
        """Apply the viewer's offer, start forwarding, and return our answer SDP.

        Raises SignalingError when the offer is unusable (e.g. the viewer cannot receive H.264, or
        offers no m-line of the feed's main kind).
        """
        self._add_transceivers(offer_sdp)
        try:
            await self._pc.setRemoteDescription(
                RTCSessionDescription(sdp=self._policy.filter_sdp(offer_sdp), type="offer")
            )
            with self._policy.gathering():
                await self._pc.setLocalDescription(await self._pc.createAnswer())
        except NEGOTIATION_ERRORS as exc:
            raise SignalingError(f"cannot negotiate the WHEP offer: {exc}") from exc
        for track in self._sending:
            self.feed.add_track(track)
        return self._pc.localDescription.sdp

    async def close(self) -> None:
        """Stop forwarding and release the connection."""
        if self._closed:
            return
        self._closed = True
        self.video.stop()
        self.audio.stop()
        await self._pc.close()
        self._on_closed(self)

    async def _on_state(self) -> None:
        state = self._pc.connectionState
        logger.info("viewer %s (%s): connection %s", self.session_id, self.feed.feed_id, state)
        if state in ("failed", "closed"):
            await self.close()
