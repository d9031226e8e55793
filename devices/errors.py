"""The exceptions raised by the ``devices`` package.

Everything raised on purpose derives from :class:`DevicesError`, so a caller can catch the
package's failures in one place; foreign errors (PyAV, OS) are translated at the boundary.
"""

from __future__ import annotations

__all__ = ["DeviceNotFoundError", "DevicesError", "PositionSpecError", "SourceOpenError", "SourceSpecError"]


class DevicesError(Exception):
    """Base class of every error raised by the ``devices`` package."""


class SourceSpecError(DevicesError):
    """A source spec string is malformed: unknown kind, bad location, unknown option or bad value.

    The message is a single line naming what was wrong and listing the accepted forms.
    """


class DeviceNotFoundError(DevicesError):
    """The device or file a spec names does not exist (no ``/dev/video3``, no ALSA card 1, no file)."""


class SourceOpenError(DevicesError):
    """The device or file exists but cannot be opened or read.

    Raised by ``open_source`` (refused RTSP connection, broken or non-media file) and from inside
    ``Source.frames()`` when a live source fails while it is being read.
    """


class PositionSpecError(DevicesError):
    """A position source spec (``--gps``) is malformed: unknown kind, bad location or bad option.

    The message is a single line naming what was wrong and listing the accepted forms.
    """
