"""USB and other V4L2 cameras, read through FFmpeg's ``v4l2`` demuxer.

Options map onto the demuxer's: ``size`` -> ``video_size``, ``fps`` -> ``framerate``,
``input_format`` -> ``input_format`` (``mjpeg`` lets most USB cameras reach 720p30/1080p30 over
USB 2, where raw ``yuyv422`` tops out near 10 fps at 720p). The driver may pick the nearest mode
it supports; :attr:`LiveAvSource.video` reports what was negotiated.
"""

from __future__ import annotations

import os
from pathlib import Path

from devices import options as opt
from devices.errors import DeviceNotFoundError
from devices.hardware.av_input import LiveAvSource, open_container
from devices.hardware.discovery import LIST_DEVICES_HINT, video_devices
from devices.spec import SourceKind, SourceSpec

__all__ = ["open_v4l2"]


def open_v4l2(spec: SourceSpec, *, root: Path = Path("/")) -> LiveAvSource:
    """Open the camera at ``spec.location`` (e.g. ``/dev/video0`` or a ``/dev/v4l/by-id/`` link).

    Frames are whatever the camera sends, decoded (``yuyv422``, or ``yuvj422p`` from MJPEG, ...),
    with the driver's timestamps in microseconds (``time_base`` 1/1000000). ``root`` only changes
    where other devices are listed from for the error message.

    Raises:
        DeviceNotFoundError: the device node does not exist (the message lists the ones that do).
        SourceOpenError: it exists but cannot be opened (busy, not a camera, mode refused).
    """
    if spec.kind is not SourceKind.V4L2:
        raise ValueError(f"not a v4l2 spec: {spec!r}")
    path = spec.location
    if not os.path.exists(path):
        found = ", ".join(info.spec.removeprefix("v4l2:") for info in video_devices(root)) or "none"
        raise DeviceNotFoundError(f"no such video device {path} (found: {found}); {LIST_DEVICES_HINT}")
    options: dict[str, str] = {}
    size = spec.option("size")
    if size is not None:
        width, height = opt.parse_size(size)
        options["video_size"] = f"{width}x{height}"
    fps = spec.option("fps")
    if fps is not None:
        rate = opt.parse_fps(fps)
        options["framerate"] = f"{rate.numerator}/{rate.denominator}"
    input_format = spec.option("input_format")
    if input_format is not None:
        options["input_format"] = input_format
    label = f"video device {path}"
    container = open_container(path, label=label, format="v4l2", options=options)
    return LiveAvSource(spec, container, label)
