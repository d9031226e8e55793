"""``python -m capture``: record a room, serve a room by its schedule, list capture devices."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from archive import ArchiveError, StoreAuthError, StoreUnavailableError
from archive.formats.settings_errors import RefusedSettingError, load_settings
from archive.settings import ArchiveSettings
from capture.bodycam.options import add_bodycam_parser
from capture.errors import CaptureError
from capture.recording.position_option import add_gps_option
from capture.recording.recording_options import add_recording_options
from capture.service.serve_options import add_serve_parser
from capture.settings import CaptureSettings, check_agent_settings
from devices import DevicesError, list_devices

if TYPE_CHECKING:
    from archive.store import ObjectStore

logger = logging.getLogger(__name__)


def build_parser(settings: CaptureSettings) -> argparse.ArgumentParser:
    """The command-line interface, with defaults taken from ``settings``."""
    parser = argparse.ArgumentParser(prog="python -m capture", description="courtrec capture agent")
    commands = parser.add_subparsers(dest="command", required=True)
    record = commands.add_parser("record", help="record a courtroom or bodycam to the spool and archive")
    record.add_argument("--room", required=True, help="courtroom or bodycam unit, e.g. court-3")
    record.add_argument(
        "--source",
        action="append",
        required=True,
        metavar="SPEC",
        help="a source spec (repeat for several): synthetic, file:PATH, v4l2:/dev/video0, "
        "alsa:DEVICE, pulse:DEVICE, rtsp://..., http(s)://...; options after '#'",
    )
    record.add_argument("--spool", type=Path, required=True, help="local directory for segments and journals")
    record.add_argument(
        "--case", default=None, help="case number in the caption and journal, e.g. （2026）京0105民初1234号"
    )
    record.add_argument(
        "--room-name", default=None, help="the courtroom name in the caption, e.g. 第一法庭 (default: --room)"
    )
    record.add_argument("--recording-id", default=None, help="resume this recording (default: a new id)")
    record.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    add_recording_options(record, settings)
    add_gps_option(record)
    record.add_argument(
        "--disk-alarm-hours",
        type=float,
        default=settings.disk_alarm_hours,
        help="alarm when the spool's free space lasts less than this many hours of recording",
    )
    record.add_argument("--video-bitrate", type=int, default=None, help="bits per second (default: CRF)")
    record.add_argument(
        "--drain-seconds",
        type=float,
        default=settings.upload_drain_seconds,
        help="after stopping, wait this long for uploads to finish",
    )
    record.add_argument(
        "--portal",
        metavar="URL",
        default=settings.portal_url,
        help="report the recording to this portal at start and stop (token: COURTREC_PORTAL_AGENT_TOKEN)",
    )
    live = record.add_argument_group("live", "publish each stream over WebRTC (WHIP) while recording")
    live.add_argument(
        "--live", metavar="URL", default=settings.live_url, help="WHIP base URL, e.g. http://host:8001/whip"
    )
    live.add_argument("--live-token", default=None, help="device bearer token (default: COURTREC_LIVE_TOKEN)")
    live.add_argument("--officer", default=None, help="officer shown on the command-centre wall (bodycams)")
    commands.add_parser("devices", help="list the capture devices on this machine")
    add_serve_parser(commands, settings)
    add_bodycam_parser(commands, settings)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the process exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(CaptureSettings)
        args = build_parser(settings).parse_args(argv)
        if args.command == "devices":
            return _list_devices()
        check_agent_settings(live=bool(getattr(args, "live", None)))
        # each command's modules load only when it runs: --help, a listing or a refused setting stay quick
        if args.command == "serve":
            from capture.service.command import run_serve  # noqa: PLC0415

            return run_serve(args, settings, _open_store)
        if args.command == "bodycam":
            from capture.bodycam.command import run_bodycam  # noqa: PLC0415

            return run_bodycam(args, settings, _open_store)
        from capture.record_command import run_record  # noqa: PLC0415

        return run_record(args, settings, _open_store)
    except (CaptureError, DevicesError, ArchiveError, RefusedSettingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _list_devices() -> int:
    devices = list_devices()
    if not devices:
        print("no capture devices found (use --source synthetic or file:PATH to test)")
    for device in devices:
        print(f"{device.spec}\t{device.description}")
    return 0


def _open_store() -> ObjectStore | None:
    config = ArchiveSettings().primary_store()
    if config is None:
        logger.warning("COURTREC_S3_ENDPOINT is not set: recording to the spool only")
        return None
    from archive.store import ObjectStore  # noqa: PLC0415 - minio costs a second of start-up; only here

    store = ObjectStore(config)
    try:
        store.ensure_bucket()
    except StoreAuthError:
        raise
    except StoreUnavailableError as exc:
        logger.warning("object store not reachable now (%s); segments will upload when it is", exc)
    return store
