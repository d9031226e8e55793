"""The capture package's exception tree: every error it raises derives from CaptureError."""


class CaptureError(Exception):
    """Base of every error raised by the capture package."""


class EncoderError(CaptureError):
    """No usable encoder could be opened."""


class RecorderError(CaptureError):
    """The recorder cannot start or go on (spool, journal, sources)."""


class SalvageError(CaptureError):
    """A torn segment cannot be salvaged without replacing a file that is not its prefix."""


class ClerkActionRefused(CaptureError):
    """The clerk's console refused an action; the message (in Chinese, for the clerk) says why and
    ``status`` is the HTTP status the console answers with (422: bad input, 409: not now)."""

    def __init__(self, message: str, *, status: int = 409, confirm: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.confirm = confirm  # the action may be repeated with the clerk's confirmation
