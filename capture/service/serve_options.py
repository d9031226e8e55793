"""The ``serve`` subcommand's options (``python -m capture serve``).

Apart from :mod:`capture.service.command` so that building the command line loads none of the
service it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from capture.recording.recording_options import add_recording_options
from capture.settings import CaptureSettings


def add_serve_parser(commands: Any, settings: CaptureSettings) -> None:
    """Add the ``serve`` subcommand to ``commands`` (an argparse subparsers object)."""
    serve = commands.add_parser(
        "serve", help="record the room's hearings by the portal's schedule, unattended (a service)"
    )
    serve.add_argument("--room", required=True, help="the courtroom's code in the portal, e.g. room-1")
    serve.add_argument(
        "--room-name",
        default=None,
        help="the courtroom's name in the caption (default: the name the portal's schedule gives)",
    )
    serve.add_argument(
        "--portal",
        metavar="URL",
        default=settings.portal_url,
        required=settings.portal_url is None,
        help="the portal giving the schedule and taking state reports (token: COURTREC_PORTAL_AGENT_TOKEN)",
    )
    serve.add_argument(
        "--spool", type=Path, required=True, help="local directory for recordings and the cache"
    )
    serve.add_argument(
        "--source", action="append", required=True, metavar="SPEC", help="a source spec (repeat for several)"
    )
    serve.add_argument(
        "--lead-minutes",
        type=float,
        default=5.0,
        help="start recording this long before a hearing (default 5)",
    )
    serve.add_argument(
        "--grace-minutes",
        type=float,
        default=60.0,
        help="without the clerk's close, stop this long after the expected end (default 60)",
    )
    serve.add_argument("--schedule-days", type=int, default=3, help="days of schedule fetched and cached")
    serve.add_argument(
        "--refresh-seconds", type=float, default=30.0, help="how often the schedule is fetched"
    )
    serve.add_argument("--report-seconds", type=float, default=3.0, help="how often the state is reported")
    add_recording_options(serve, settings)
    console = serve.add_argument_group("console", "the clerk's console (a page on this PC)")
    console.add_argument(
        "--console-port", type=int, default=8088, help="the console's port (default 8088; 0: no console)"
    )
    console.add_argument(
        "--console-host",
        default="127.0.0.1",
        help="the console's address (default 127.0.0.1; any other needs a token)",
    )
    console.add_argument(
        "--console-token",
        default=None,
        help="the console's token when bound beyond loopback (better: COURTREC_CONSOLE_TOKEN)",
    )
    live = serve.add_argument_group("live", "publish each recording over WebRTC (WHIP) while it records")
    live.add_argument(
        "--live", metavar="URL", default=settings.live_url, help="WHIP base URL, e.g. http://host:8001/whip"
    )
    live.add_argument("--live-token", default=None, help="device bearer token (default: COURTREC_LIVE_TOKEN)")
    serve.add_argument(
        "--drain-seconds",
        type=float,
        default=settings.upload_drain_seconds,
        help="when the service stops, wait this long for uploads to finish",
    )
