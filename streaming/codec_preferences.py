"""Which codecs our transceivers accept: H.264 (packetization mode 1) for video, Opus for audio.

The relay forwards what the publisher encoded, so every party must agree on H.264: the agent's
recorder encodes it once, and an aiortc sender given packets with VP8 negotiated sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiortc import RTCRtpSender
from aiortc.exceptions import InternalError, InvalidAccessError, InvalidStateError, OperationError
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

MEDIA_KINDS = frozenset({"video", "audio"})
"""The media kinds a feed may carry: H.264 video and Opus audio, or Opus audio alone."""


def checked_kinds(kinds: Iterable[str]) -> frozenset[str]:
    """``kinds`` as a set; raises ValueError unless it is a non-empty subset of :data:`MEDIA_KINDS`."""
    result = frozenset(kinds)
    if not result or not result <= MEDIA_KINDS:
        raise ValueError(f"kinds must be a non-empty subset of ['audio', 'video'] (got {sorted(result)})")
    return result


def h264_only() -> list[RTCRtpCodecCapability]:
    """aiortc's H.264 codecs (and RTX for them), for ``setCodecPreferences``."""
    capabilities = RTCRtpSender.getCapabilities("video")
    return [
        codec
        for codec in capabilities.codecs
        if codec.mimeType.lower() == "video/rtx"
        or (codec.mimeType.lower() == "video/h264" and codec.parameters.get("packetization-mode") == "1")
    ]


def opus_only() -> list[RTCRtpCodecCapability]:
    """aiortc's Opus codec, for ``setCodecPreferences``."""
    capabilities = RTCRtpSender.getCapabilities("audio")
    return [codec for codec in capabilities.codecs if codec.mimeType.lower() == "audio/opus"]


def offered_kinds(sdp: str) -> set[str]:
    """The media kinds (``audio``, ``video``, ``application``) of an SDP's m-lines."""
    return {line[2:].split(" ", 1)[0] for line in sdp.splitlines() if line.startswith("m=")}


NEGOTIATION_ERRORS = (
    ValueError,
    KeyError,
    InternalError,
    InvalidAccessError,
    InvalidStateError,
    OperationError,
)
"""What aiortc raises for an offer or answer it cannot apply (it has no common base class)."""
