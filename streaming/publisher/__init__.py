"""The agent's side of live streaming: publish the recorder's encoded packets over WHIP.

Imports nothing of ``streaming.server`` or ``streaming.public`` (no FastAPI, no OpenCV): the
capture agent loads this and the shared modules only (an import-linter contract holds it).
"""

from streaming.publisher.link_quality import LinkQuality, LiveMode
from streaming.publisher.live_input import EncodedVideo, LiveInput
from streaming.publisher.live_publisher import LivePublisher
from streaming.publisher.whip_client import WhipClient

__all__ = ["EncodedVideo", "LinkQuality", "LiveInput", "LiveMode", "LivePublisher", "WhipClient"]
