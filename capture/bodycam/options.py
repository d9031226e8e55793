"""``python -m capture bodycam``'s command-line options (kept apart from ``record``'s: the GPS
source option and others are added here by the modules that own them)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from capture.bodycam.pre_event_ring import MAX_PRE_EVENT_SECONDS
from capture.recording.position_option import add_gps_option
from capture.recording.recording_options import add_recording_options
from capture.settings import CaptureSettings
from devices import SourceKind, SourceSpec, parse_source_spec

BODYCAM_SIZE = "1280x720"
BODYCAM_FPS = "25"
BODYCAM_PRESET = "superfast"
"""x264 on a battery: superfast costs well under half of veryfast's CPU (shared/STACK.md gives
720p ultrafast 1.3 CPU-s and veryfast 4.0 per 10 s) and, unlike ultrafast, keeps CABAC, so the
bitrate cap costs less picture. A hardware encoder (``--encoder auto``) is better still."""
BODYCAM_MAX_BITRATE = 2_500_000
DEFAULT_PRE_EVENT_SECONDS = 30.0
DEFAULT_UPLOAD_RATE_LIVE = 1 << 20
"""While live, the backlog drains at most this fast (bytes/s), so live keeps the rest of the link."""


def pre_event_seconds(text: str) -> float:
    """argparse type of ``--pre-event-seconds``: 0 to 120."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds from 0 to 120 (got {text!r})"
        ) from None
    if not 0 <= value <= MAX_PRE_EVENT_SECONDS:
        raise argparse.ArgumentTypeError(f"must be from 0 to {MAX_PRE_EVENT_SECONDS} seconds (got {text})")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 (got {text})")
    return value


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def byte_size(text: str) -> int:
    """argparse type: a positive size in bytes, with an optional K, M, G or T suffix (binary)."""
    number, unit = text.strip(), ""
    if number[-1:].upper() in _UNITS:
        number, unit = number[:-1], number[-1].upper()
    try:
        value = float(number) * _UNITS[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a size like 8G, 500M or 1048576 (got {text!r})") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be more than 0 bytes (got {text})")
    return int(value)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number (got {text!r})") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0 (any free port) to 65535 (got {text})")
    return value


def add_bodycam_parser(commands: Any, settings: CaptureSettings) -> argparse.ArgumentParser:
    """Add the ``bodycam`` command to the ``commands`` sub-parsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "bodycam",
        help="run as a body camera: standby with a pre-event buffer, recording when activated",
        description="Body camera agent. Activate with a key (a + Enter) on the terminal, SIGUSR1 "
        "(SIGUSR2 deactivates), the local control endpoint, or the command centre via the portal.",
    )
    parser.add_argument("--spool", type=Path, required=True, help="local directory for segments and journals")
    parser.add_argument(
        "--source",
        action="append",
        required=True,
        metavar="SPEC",
        help=f"a source spec (repeat for several); cameras without size/fps get {BODYCAM_SIZE}@{BODYCAM_FPS}",
    )
    parser.add_argument(
        "--unit",
        "--room",
        dest="unit",
        default=None,
        help="the unit shown on the wall and in keys (default: device id)",
    )
    parser.add_argument("--case", default=None, help="execution case number shown in the caption and journal")
    parser.add_argument("--officer", default=None, help="officer shown on the command-centre wall")
    add_recording_options(parser, settings)
    if settings.video_preset == CaptureSettings.model_fields["video_preset"].default:
        parser.set_defaults(preset=BODYCAM_PRESET)
    parser.add_argument(
        "--pre-event-seconds",
        type=pre_event_seconds,
        default=DEFAULT_PRE_EVENT_SECONDS,
        help="seconds of video kept in memory on standby and recorded on activation (0-120, default 30)",
    )
    parser.add_argument(
        "--pre-event-audio",
        action="store_true",
        help="policy: keep sound in the pre-event buffer too (default: pictures only)",
    )
    parser.add_argument(
        "--video-bitrate", type=_positive_int, default=None, help="target bits/s (default: CRF)"
    )
    parser.add_argument(
        "--max-video-bitrate",
        type=_positive_int,
        default=BODYCAM_MAX_BITRATE,
        help=f"cap on the video rate in bits/s (default {BODYCAM_MAX_BITRATE})",
    )
    parser.add_argument(
        "--spool-quota",
        type=byte_size,
        default=None,
        help="most the spool may hold (e.g. 8G): at it, confirmed copies are freed and an alarm raised",
    )
    parser.add_argument(
        "--upload-rate",
        type=byte_size,
        default=None,
        help="cap on the backlog's upload rate in bytes/s (e.g. 1M), so live keeps its share of the link",
    )
    parser.add_argument(
        "--upload-rate-live",
        type=byte_size,
        default=DEFAULT_UPLOAD_RATE_LIVE,
        help="cap on the backlog's upload rate while live is on, in bytes/s (default 1M, about 8 Mbit/s:"
        " a 2.5 Mbit/s live feed keeps its share of a 12 Mbit/s link or better)",
    )
    parser.add_argument("--disk-alarm-hours", type=float, default=settings.disk_alarm_hours)
    parser.add_argument(
        "--drain-seconds", type=float, default=0.0, help="at a stop, wait this long for uploads"
    )
    parser.add_argument(
        "--activate-on-start",
        action="store_true",
        help="activate at once (journaled as the console, by this option), e.g. for a demo",
    )
    parser.add_argument(
        "--control-port",
        type=_port,
        default=None,
        help="serve the local control endpoint on 127.0.0.1:PORT (0: any free port; default: off);"
        " callers send the token of --control-token-file",
    )
    parser.add_argument(
        "--control-token-file",
        type=Path,
        default=None,
        help="the control endpoint's token, readable by the agent's user only (default: SPOOL/device/"
        "control-token, generated 0600 on first use)",
    )
    parser.add_argument(
        "--portal",
        metavar="URL",
        default=settings.portal_url,
        help="hear the command centre's requests and send heartbeats (token: COURTREC_PORTAL_AGENT_TOKEN)",
    )
    parser.add_argument(
        "--enrol-code",
        default=None,
        metavar="CODE",
        help="enrol the device's key with the portal first, with this one-time code from court IT"
        " (python -m portal devices enrol-code); every portal call is signed with that key",
    )
    parser.add_argument("--heartbeat-seconds", type=float, default=30.0, help="heartbeat interval")
    parser.add_argument("--live", metavar="URL", default=settings.live_url, help="WHIP base URL for live")
    parser.add_argument(
        "--live-token", default=None, help="device bearer token (default: COURTREC_LIVE_TOKEN)"
    )
    add_gps_option(parser)  # the GPS track is recorded with each activation's recording
    return parser


def with_bodycam_defaults(spec: SourceSpec) -> SourceSpec:
    """A camera spec without ``size``/``fps`` gets the body camera's 1280x720 at 25 fps."""
    if spec.kind not in (SourceKind.V4L2, SourceKind.SYNTHETIC):
        return spec
    extra = [
        f"{key}={value}"
        for key, value in (("size", BODYCAM_SIZE), ("fps", BODYCAM_FPS))
        if spec.option(key) is None
    ]
    if not extra:
        return spec
    joiner = "&" if "#" in spec.canonical else "#"
    return parse_source_spec(spec.canonical + joiner + "&".join(extra))
