"""The streaming package's exception tree."""


class StreamingError(Exception):
    """Base of every error raised by the streaming package."""
