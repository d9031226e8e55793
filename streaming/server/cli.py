"""``python -m streaming serve``: the live server (WHIP ingest, WHEP egress, wall, public HLS)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import uvicorn

from archive.formats.settings_errors import RefusedSettingError, load_settings
from streaming.errors import StreamingError
from streaming.server.service import LiveService
from streaming.server.web.app import create_app
from streaming.server.web.http_protocol import h11_with_header_timeout
from streaming.settings import StreamingSettings

logger = logging.getLogger(__name__)


def build_parser(settings: StreamingSettings) -> argparse.ArgumentParser:
    """The command line, with defaults from ``settings``."""
    parser = argparse.ArgumentParser(prog="python -m streaming", description="courtrec live server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve WHIP/WHEP, the command-centre wall and public HLS")
    serve.add_argument("--host", default=settings.host, help="address to listen on (default %(default)s)")
    serve.add_argument("--port", type=int, default=settings.port, help="TCP port (default %(default)s)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the process exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(StreamingSettings)
    except RefusedSettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args = build_parser(settings).parse_args(argv)
    settings = settings.model_copy(update={"host": args.host, "port": args.port})
    try:
        service = LiveService(settings)
        app = create_app(service, own_service=True)
    except (StreamingError, ValueError) as exc:
        print(f"error: {exc}")
        return 2
    if settings.operator_token is None:
        logger.warning("COURTREC_STREAMING_OPERATOR_TOKEN is not set: the wall and WHEP refuse everyone")
    if not settings.device_tokens:
        logger.warning("COURTREC_STREAMING_DEVICE_TOKENS is not set: no device can publish")
    unbound = sorted(set(settings.device_tokens) - set(settings.device_rooms))
    if unbound:
        logger.warning("devices with no COURTREC_STREAMING_DEVICE_ROOMS binding publish nothing: %s", unbound)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        http=h11_with_header_timeout(settings.header_timeout_seconds),
        h11_max_incomplete_event_size=settings.max_header_bytes,
        timeout_keep_alive=settings.keep_alive_seconds,
        limit_concurrency=settings.max_connections,
    )
    return 0
