"""The streaming package's exception tree: every error it raises derives from StreamingError."""


class StreamingError(Exception):
    """Base of every error raised by the streaming package."""


class SignalingError(StreamingError):
    """A WHIP/WHEP offer or answer could not be negotiated (bad SDP, no H.264, no usable ICE)."""


class InvalidNameError(StreamingError):
    """A room, stream or feed name does not follow the grammar (``streaming.feed_id``)."""


class FeedNotFoundError(StreamingError):
    """No live feed (or no public broadcast) exists under the requested id."""


class FeedTakenError(StreamingError):
    """Another device is publishing this feed right now."""


class PublishRefusedError(StreamingError):
    """A device may not publish this feed: it is not bound to it, or the feed is on public air from
    another device (take-over protection)."""


class SessionLimitError(StreamingError):
    """A device already holds as many WHIP sessions as it may (``max_sessions_per_device``)."""


class SessionNotFoundError(StreamingError):
    """No WHIP/WHEP session exists under the requested id."""


class PublishError(StreamingError):
    """The publisher could not reach or was refused by the WHIP endpoint."""


class AiortcInternalsError(StreamingError):
    """The pinned aiortc/aioice internals we hook no longer look the way this code expects."""


class HlsError(StreamingError):
    """The public HLS packager or its segment publisher failed."""


class FaceMaskingError(StreamingError):
    """Face masking cannot run: its detector (cascade or model file) is missing or unreadable."""


class StreamRestartError(HlsError):
    """The feed started again (timestamps from zero: a new publication) or changed its H.264 set-up
    (another SPS: a new encoder or picture size): a new packager, with its own init segment, must
    take over after a discontinuity."""
