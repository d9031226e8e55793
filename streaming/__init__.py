"""streaming: WHIP ingest and WHEP egress on aiortc, a decode-free relay, the wall, public HLS.

The agent's side (``LivePublisher``) publishes the recorder's own H.264 packets over WHIP; the
server (``python -m streaming serve`` or ``create_app`` mounted in the portal) relays them to
every viewer without decoding. Imports no other courtrec package but ``devices`` (types only).
"""

from streaming.app import create_app
from streaming.auth import Authorizer, TokenAuthorizer
from streaming.errors import (
    AiortcInternalsError,
    FeedNotFoundError,
    FeedTakenError,
    HlsError,
    PublishError,
    SessionNotFoundError,
    SignalingError,
    StreamingError,
)
from streaming.ice import IcePolicy
from streaming.link_quality import LinkQuality, LiveMode
from streaming.live_input import EncodedVideo, LiveInput
from streaming.publisher import LivePublisher
from streaming.service import LiveService
from streaming.settings import StreamingSettings
from streaming.telemetry import GpsFix, RecordingState, TelemetryReport
from streaming.whip_client import WhipClient

__all__ = [
    "AiortcInternalsError",
    "Authorizer",
    "EncodedVideo",
    "FeedNotFoundError",
    "FeedTakenError",
    "GpsFix",
    "HlsError",
    "IcePolicy",
    "LinkQuality",
    "LiveInput",
    "LiveMode",
    "LivePublisher",
    "LiveService",
    "PublishError",
    "RecordingState",
    "SessionNotFoundError",
    "SignalingError",
    "StreamingError",
    "StreamingSettings",
    "TelemetryReport",
    "TokenAuthorizer",
    "WhipClient",
    "create_app",
]
