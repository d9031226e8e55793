"""IP cameras: RTSP/RTSPS and HTTP(S) streams (MJPEG, MPEG-TS, ...) read through FFmpeg.

Every network wait is bounded: FFmpeg's socket ``timeout`` option (microseconds) covers each
read and write of the protocol, and PyAV's ``timeout`` interrupts opening and reading, so an
unreachable or silent camera raises SourceOpenError after ``timeout`` seconds instead of hanging
the capture thread.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from devices import options as opt
from devices.hardware.av_input import LiveAvSource, open_container
from devices.spec import SourceKind, SourceSpec

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "open_network_camera"]

DEFAULT_TIMEOUT_SECONDS = 5.0
"""How long to wait for a connection or for data before giving up, unless ``timeout=`` says."""


def open_network_camera(spec: SourceSpec) -> LiveAvSource:
    """Connect to the camera at ``spec.location`` and read its stream headers.

    RTSP uses ``transport=tcp`` unless told otherwise: interleaved TCP survives NAT and firewalls
    and loses no packets, where UDP tears pictures on a lossy link. Frames carry the stream's
    timestamps (RTSP video: the 90 kHz RTP clock). Messages never include the URL's password.

    Raises:
        SourceOpenError: refused, unreachable, timed out, unauthorised, or not a media stream.
    """
    if spec.kind not in (SourceKind.RTSP, SourceKind.HTTP):
        raise ValueError(f"not a network camera spec: {spec!r}")
    timeout = opt.parse_seconds(spec.option("timeout", str(DEFAULT_TIMEOUT_SECONDS)), allow_zero=False)
    options = {"timeout": str(round(timeout * 1_000_000))}
    if spec.kind is SourceKind.RTSP:
        options["rtsp_transport"] = spec.option("transport", "tcp")
    label = f"network camera {_without_credentials(spec.location)}"
    container = open_container(spec.location, label=label, options=options, timeout=timeout)
    return LiveAvSource(spec, container, label)


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal needs its brackets back
        host = f"[{host}]"
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()
