"""What a receiver tells one of our RTP senders: keyframe requests, bandwidth estimates, loss.

aiortc's ``RTCRtpSender`` consumes RTCP itself and acts only when it encodes (a PLI sets a private
flag; a REMB sets its own encoder's bitrate). For pre-encoded packets (the agent's recorder output,
the relay's forwarded frames) nothing happens, so we wrap the sender instance's
``_handle_rtcp_packet`` (private; the DTLS transport looks it up on the instance for each packet)
to see the packets first, then let aiortc handle them as usual.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiortc import RTCRtpSender
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpSrPacket,
    unpack_remb_fci,
)

from streaming.errors import AiortcInternalsError


@dataclass(frozen=True, slots=True)
class SenderFeedback:
    """Callbacks, run on the event loop; each may be None."""

    keyframe_requested: Callable[[], object] | None = None
    bitrate_estimated: Callable[[int], object] | None = None  # bits/s from REMB
    loss_reported: Callable[[float], object] | None = None  # fraction lost 0..1 since the last report
    heard: Callable[[], object] | None = None  # any RTCP for this sender (link liveness)


def observe_sender(sender: RTCRtpSender, feedback: SenderFeedback) -> None:
    """Route RTCP addressed to ``sender`` through ``feedback`` first.

    Raises AiortcInternalsError when the pinned sender lacks the hooked method or its SSRC.
    """
    original: Callable[[Any], Awaitable[None]] | None = getattr(sender, "_handle_rtcp_packet", None)
    ssrc = getattr(sender, "_ssrc", None)
    if original is None or not isinstance(ssrc, int):
        raise AiortcInternalsError("RTCRtpSender._handle_rtcp_packet/_ssrc are gone: update sender_feedback")

    async def handle_rtcp_packet(packet: Any) -> None:
        _dispatch(packet, ssrc, feedback)
        await original(packet)

    sender._handle_rtcp_packet = handle_rtcp_packet  # type: ignore[method-assign]


def _dispatch(packet: Any, ssrc: int, feedback: SenderFeedback) -> None:
    if feedback.heard is not None:
        feedback.heard()
    if isinstance(packet, RtcpPsfbPacket):
        if packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR) and feedback.keyframe_requested is not None:
            feedback.keyframe_requested()
        elif packet.fmt == RTCP_PSFB_APP and feedback.bitrate_estimated is not None:
            try:
                bitrate, ssrcs = unpack_remb_fci(packet.fci)
            except ValueError:
                return
            if ssrc in ssrcs:
                feedback.bitrate_estimated(int(bitrate))
    elif isinstance(packet, RtcpRrPacket | RtcpSrPacket) and feedback.loss_reported is not None:
        for report in packet.reports:
            if report.ssrc == ssrc:
                feedback.loss_reported(report.fraction_lost / 256)
