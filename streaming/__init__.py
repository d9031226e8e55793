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

The names are re-exported lazily (PEP 562, as ``archive.lazy_exports`` does; streaming may not import
it): the agent's settings need ``StreamingSettings`` alone, and loading the publisher eagerly would pull
aiortc and httpx into every agent start-up, live or not.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

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

_MODULE_OF = {
    "AiortcInternalsError": "streaming.errors",
    "FaceMaskingError": "streaming.errors",
    "FeedNotFoundError": "streaming.errors",
    "FeedTakenError": "streaming.errors",
    "HlsError": "streaming.errors",
    "PublishError": "streaming.errors",
    "SessionNotFoundError": "streaming.errors",
    "SignalingError": "streaming.errors",
    "StreamingError": "streaming.errors",
    "IcePolicy": "streaming.ice",
    "EncodedVideo": "streaming.publisher",
    "LinkQuality": "streaming.publisher",
    "LiveInput": "streaming.publisher",
    "LiveMode": "streaming.publisher",
    "LivePublisher": "streaming.publisher",
    "WhipClient": "streaming.publisher",
    "StreamingSettings": "streaming.settings",
    "MAX_ALARM_CHARS": "streaming.telemetry",
    "MAX_ALARMS": "streaming.telemetry",
    "GpsFix": "streaming.telemetry",
    "RecordingState": "streaming.telemetry",
    "TelemetryReport": "streaming.telemetry",
}


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULE_OF])
