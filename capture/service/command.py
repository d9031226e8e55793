"""``python -m capture serve``: the courtroom recorder as a service (options and the run)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from archive import StopRequest
from capture.errors import CaptureError
from capture.live import LiveTarget, configured_ice_policy, live_token
from capture.recording.stream.stream_pipeline import StreamSettings
from capture.service.clerk_desk import ClerkDesk
from capture.service.console import ConsoleAccess, ConsoleView, LevelMeters, Thumbnails
from capture.service.courtroom_service import CourtroomService
from capture.service.live_follower import LiveFollower
from capture.service.portal_client import AgentPortalClient
from capture.service.schedule.planner import Planner
from capture.service.service_config import ServiceConfig
from capture.settings import CaptureSettings
from devices import parse_source_spec
from timebase import SystemClock

if TYPE_CHECKING:
    from archive.store import ObjectStore
    from capture.service.console.server import ConsoleServer

logger = logging.getLogger(__name__)


def run_serve(
    args: argparse.Namespace, settings: CaptureSettings, open_store: Callable[[], ObjectStore | None]
) -> int:
    """Run the service until SIGTERM/SIGINT; returns the exit code."""
    config = service_config(args)
    if settings.portal_agent_token is None:
        raise CaptureError("serve needs the portal's agent token in COURTREC_PORTAL_AGENT_TOKEN")
    portal = AgentPortalClient(
        args.portal, settings.portal_agent_token.get_secret_value(), court=args.court, room=args.room
    )
    token = args.console_token or (
        settings.console_token.get_secret_value() if settings.console_token is not None else None
    )
    access = ConsoleAccess(args.console_host, args.console_port, token) if args.console_port else None
    watchers = [_live_follower(args, settings)] if args.live else []
    service = CourtroomService(config, portal=portal, store=open_store(), watchers=watchers)
    console = None if access is None else _console(service, access, args)
    stop = StopRequest()
    stop.install(on_signal=lambda signum: logger.info("signal %d: stopping the service", signum))
    if console is not None:
        try:
            console.start()
        except CaptureError as exc:  # the hearing is recorded all the same: the console is the extra
            logger.error("%s; recording goes on without the clerk's console", exc)
            print(f"warning: {exc}; recording goes on without the clerk's console", file=sys.stderr)
            console, access = None, None
    service.start()
    print(f"serving room {args.room} of {args.court}; spool {args.spool}; portal {args.portal}", flush=True)
    if access is not None:
        shown = f"[{access.host}]" if ":" in access.host else access.host
        login = " (open it once with ?token=<the console token>)" if access.token else ""
        print(f"clerk's console: http://{shown}:{access.port}/{login}", flush=True)
    while not stop.is_set() and service.alive:
        stop.wait(1.0)
    if console is not None:
        console.stop()
    service.stop()
    print("service stopped", flush=True)
    return 0 if stop.is_set() else 1  # the service thread ended by itself: it failed


def _console(service: CourtroomService, access: ConsoleAccess, args: argparse.Namespace) -> ConsoleServer:
    # FastAPI and uvicorn load only when a console is served (``import capture`` stays light)
    from capture.service.console.app import create_console_app  # noqa: PLC0415
    from capture.service.console.server import ConsoleServer  # noqa: PLC0415

    clock = SystemClock()
    thumbnails, meters = Thumbnails(clock), LevelMeters(clock)
    view = ConsoleView(service, thumbnails, meters, clock)
    desk = ClerkDesk(service, clock, room=args.room)
    app = create_console_app(desk, view, thumbnails, meters, access, room=args.room, court=args.court)
    return ConsoleServer(app, access.host, access.port)


def _live_follower(args: argparse.Namespace, settings: CaptureSettings) -> LiveFollower:
    token = live_token(args.live_token, settings.live_token)
    target = LiveTarget(endpoint=args.live, token=token, device_id=args.device_id, room=args.room)
    policy = configured_ice_policy()
    return LiveFollower(target, policy)


def service_config(args: argparse.Namespace) -> ServiceConfig:
    """The service's configuration from the command line; raises CaptureError naming a bad option."""
    if not 2 <= args.segment_seconds <= 60:
        raise CaptureError(f"--segment-seconds must be between 2 and 60 (got {args.segment_seconds})")
    if args.lead_minutes < 0 or args.grace_minutes < 0:
        raise CaptureError(
            f"--lead-minutes and --grace-minutes must be >= 0 (got {args.lead_minutes}, {args.grace_minutes})"
        )
    if not 1 <= args.schedule_days <= 31:
        raise CaptureError(f"--schedule-days must be between 1 and 31 (got {args.schedule_days})")
    if args.refresh_seconds <= 0 or args.report_seconds <= 0:
        raise CaptureError("--refresh-seconds and --report-seconds must be > 0")
    if not 0 <= args.console_port <= 65535:
        raise CaptureError(f"--console-port must be between 0 and 65535 (got {args.console_port})")
    return ServiceConfig(
        court=args.court,
        room=args.room,
        room_name=args.room_name,
        device_id=args.device_id,
        spool=args.spool,
        sources=[parse_source_spec(text) for text in args.source],
        planner=Planner(
            lead=timedelta(minutes=args.lead_minutes), grace=timedelta(minutes=args.grace_minutes)
        ),
        stream=StreamSettings(
            segment_seconds=args.segment_seconds,
            encoder=args.encoder,
            preset=args.preset,
            low_delay=bool(args.live),
        ),
        checkpoint_seconds=args.checkpoint_seconds,
        key_path=args.key_file,
        schedule_days=args.schedule_days,
        refresh_seconds=args.refresh_seconds,
        report_seconds=args.report_seconds,
        drain_seconds=args.drain_seconds,
    )
