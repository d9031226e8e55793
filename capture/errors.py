"""The capture package's exception tree: every error it raises derives from CaptureError."""


class CaptureError(Exception):
    """Base of every error raised by the capture package."""


class EncoderError(CaptureError):
    """No usable encoder could be opened."""


class RecorderError(CaptureError):
    """The recorder cannot start or go on (spool, journal, sources)."""


class SalvageError(CaptureError):
    """A torn segment cannot be salvaged without replacing a file that is not its prefix."""
