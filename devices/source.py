"""The ``Source`` seam every camera, microphone, stream, file and test pattern implements."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

import av

from devices.formats import AudioFormat, VideoFormat
from devices.generated.file_source import FileSource
from devices.generated.synthetic import SyntheticSource
from devices.hardware.alsa import open_alsa
from devices.hardware.network_camera import open_network_camera
from devices.hardware.pulse import PulseSource
from devices.hardware.v4l2 import open_v4l2
from devices.spec import SourceKind, SourceSpec

__all__ = ["Source", "open_source"]


@runtime_checkable
class Source(Protocol):
    """An opened source of decoded frames.

    Contract shared by every kind:

    * ``frames()`` is a blocking generator meant to run in the consumer's own thread. It delivers
      frames in real time: live devices naturally, synthetic and file sources by pacing
      themselves on the monotonic clock (unless ``realtime=0``). Every frame has ``pts`` and
      ``time_base`` set; each kind documents its time bases. It ends when the source ends (a
      file without ``loop``, ``end_after``); a live source that fails or ends raises
      ``SourceOpenError`` from inside the generator.
    * ``close()`` is idempotent and may be called from another thread: the generator then returns
      (promptly for synthetic, file and pulse sources; after the current read for PyAV devices,
      i.e. within a frame interval or the network ``timeout``).
    """

    spec: SourceSpec

    @property
    def video(self) -> VideoFormat | None:
        """The picture format, or None when the source has no video."""
        ...

    @property
    def audio(self) -> AudioFormat | None:
        """The sound format, or None when the source has no audio."""
        ...

    def frames(self) -> Iterator[av.VideoFrame | av.AudioFrame]:
        """Blocking generator of decoded frames (see the class docstring)."""
        ...

    def close(self) -> None:
        """Stop the generator and release the device; idempotent, callable from any thread."""
        ...


def open_source(spec: SourceSpec) -> Source:
    """Open the source ``spec`` names, ready for ``frames()``.

    Opening checks existence and reads the stream headers at once, so configuration mistakes
    show up here rather than in the capture thread.

    Raises:
        DeviceNotFoundError: a missing ``/dev/videoN``, ALSA card/device, PulseAudio source or file;
            the message lists what was found and how to list devices.
        SourceOpenError: the device exists but cannot be opened or decoded (refused or timed-out
            RTSP connection, busy camera, broken or non-media file).
    """
    match spec.kind:
        case SourceKind.SYNTHETIC:
            return SyntheticSource(spec)
        case SourceKind.FILE:
            return FileSource(spec)
        case SourceKind.V4L2:
            return open_v4l2(spec)
        case SourceKind.ALSA:
            return open_alsa(spec)
        case SourceKind.PULSE:
            return PulseSource(spec)
        case SourceKind.RTSP | SourceKind.HTTP:
            return open_network_camera(spec)
