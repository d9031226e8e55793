"""streaming: WHIP ingest and WHEP egress on aiortc, a decode-free relay, the wall, public HLS.

Three sides, so that the agent loads only what it runs:

* ``streaming.publisher`` — the agent's side: ``LivePublisher`` publishes the recorder's own H.264
  packets over WHIP (no FastAPI, no OpenCV);
* ``streaming.server`` — the live server (``python -m streaming serve``, or ``create_app`` mounted in
  the portal) that relays every feed to its viewers without decoding;
* ``streaming.public`` — the server's public HLS packaging (delay, cut, face masking).

The modules at this level (errors, settings, ICE, codec preferences, packet track, sender
feedback, H.264 helpers, telemetry messages) are shared by both sides. This package re-exports the
agent's names only: importing it never loads the server. Imports no other courtrec package but
``devices`` (types only).

The names are re-exported lazily (PEP 562, through ``lazy_loader``): the agent's settings need
``StreamingSettings`` alone, and loading the publisher eagerly would pull aiortc and httpx into every
agent start-up, live or not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

if TYPE_CHECKING:
    from streaming.errors import (
        AiortcInternalsError,
        FaceMaskingError,
        FeedNotFoundError,
        FeedTakenError,
        HlsError,
        PublishError,
        SessionNotFoundError,
        SignalingError,
        StreamingError,
    )
    from streaming.ice import IcePolicy
    from streaming.publisher import EncodedVideo, LinkQuality, LiveInput, LiveMode, LivePublisher, WhipClient
    from streaming.settings import StreamingSettings
    from streaming.telemetry import MAX_ALARM_CHARS, MAX_ALARMS, GpsFix, RecordingState, TelemetryReport

__all__ = [
    "MAX_ALARMS",
    "MAX_ALARM_CHARS",
    "AiortcInternalsError",
    "EncodedVideo",
    "FaceMaskingError",
    "FeedNotFoundError",
    "FeedTakenError",
    "GpsFix",
    "HlsError",
    "IcePolicy",
    "LinkQuality",
    "LiveInput",
    "LiveMode",
    "LivePublisher",
    "PublishError",
    "RecordingState",
    "SessionNotFoundError",
    "SignalingError",
    "StreamingError",
    "StreamingSettings",
    "TelemetryReport",
    "WhipClient",
]

__getattr__, __dir__, _ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "errors": [
            "AiortcInternalsError",
            "FaceMaskingError",
            "FeedNotFoundError",
            "FeedTakenError",
            "HlsError",
            "PublishError",
            "SessionNotFoundError",
            "SignalingError",
            "StreamingError",
        ],
        "ice": ["IcePolicy"],
        "publisher": ["EncodedVideo", "LinkQuality", "LiveInput", "LiveMode", "LivePublisher", "WhipClient"],
        "settings": ["StreamingSettings"],
        "telemetry": ["MAX_ALARM_CHARS", "MAX_ALARMS", "GpsFix", "RecordingState", "TelemetryReport"],
    },
)
