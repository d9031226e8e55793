"""``python -m capture bodycam``: wire the body camera agent to its triggers, the archive and the portal."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from archive import StopRequest
from archive.journal import ActivationTrigger, AlarmEvent
from archive.settings import ArchiveSettings
from archive.spool import Uploader, UploadItem, UploadQueue, queue_path
from archive.store import ObjectStore
from capture.bodycam.activation import Action, ActivationRequest
from capture.bodycam.agent import BodycamAgent, BodycamConfig, LiveStarter
from capture.bodycam.heartbeat import fixed_position, heartbeat_report
from capture.bodycam.local_triggers import LocalControl, install_signal_triggers, start_key_trigger
from capture.bodycam.options import with_bodycam_defaults
from capture.bodycam.portal_link import AgentDeviceClient, PortalLink
from capture.errors import CaptureError
from capture.live import LiveTarget, parse_gps, start_live, stop_live
from capture.recorder import Recorder
from capture.settings import CaptureSettings
from capture.stream_pipeline import StreamSettings
from devices import parse_source_spec
from streaming import GpsFix, IcePolicy, StreamingSettings
from timebase import SystemClock

logger = logging.getLogger(__name__)


def bodycam_config(args: argparse.Namespace) -> BodycamConfig:
    """The agent's configuration from the command line; CaptureError naming a bad option."""
    if not 2 <= args.segment_seconds <= 60:
        raise CaptureError(f"--segment-seconds must be between 2 and 60 (got {args.segment_seconds})")
    return BodycamConfig(
        device_id=args.device_id,
        court=args.court,
        unit=args.unit or args.device_id,
        spool=args.spool,
        sources=[with_bodycam_defaults(parse_source_spec(text)) for text in args.source],
        pre_event_seconds=args.pre_event_seconds,
        pre_event_audio=args.pre_event_audio,
        case=args.case,
        stream=StreamSettings(
            segment_seconds=args.segment_seconds,
            encoder=args.encoder,
            preset=args.preset,
            video_bitrate=args.video_bitrate,
            max_video_bitrate=args.max_video_bitrate,
            low_delay=bool(args.live),
        ),
        checkpoint_seconds=args.checkpoint_seconds,
        key_path=args.key_file,
        disk_alarm_hours=args.disk_alarm_hours,
        drain_seconds=args.drain_seconds,
        upload_mismatch_window_seconds=ArchiveSettings().upload_mismatch_window_seconds(),
    )


def run_bodycam(
    args: argparse.Namespace, settings: CaptureSettings, open_store: Callable[[], ObjectStore | None]
) -> int:
    """Run until SIGINT/SIGTERM; returns the exit code."""
    config = bodycam_config(args)
    try:
        gps = parse_gps(args.gps)
    except ValueError as exc:
        raise CaptureError(str(exc)) from exc
    clock = SystemClock()
    store = open_store()
    try:
        config.spool.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CaptureError(f"spool {config.spool} cannot be created: {exc.strerror or exc}") from exc
    queue = UploadQueue(queue_path(config.spool), clock=clock)
    live = _live_starter(args, settings, config, gps) if args.live else None
    agent = BodycamAgent(
        config, lambda plan: Recorder(plan, store, clock=clock, uploads_elsewhere=True), live=live
    )

    def integrity_alarm(item: UploadItem, message: str) -> None:
        agent.journal(AlarmEvent(condition="integrity", active=True, object=item.object_key, detail=message))

    uploader = None if store is None else Uploader(queue, store, on_integrity_alarm=integrity_alarm)
    position = fixed_position(gps, clock)

    def report() -> dict[str, object]:
        return heartbeat_report(agent, queue, config.spool, position, clock)

    stop = StopRequest()
    stop.install(on_signal=lambda signum: logger.info("signal %d: stopping", signum))
    install_signal_triggers(agent.inbox)
    start_key_trigger(agent.inbox)
    control = None
    if args.control_port is not None:
        control = LocalControl(
            agent.inbox,
            args.control_port,
            lambda: {**report(), "fault": agent.fault or None, "pre_event_bytes": agent.standby_bytes()},
        )
        control.start()
    link = _portal_link(
        args.portal,
        settings=settings,
        device_id=config.device_id,
        agent=agent,
        report=report,
        heartbeat_seconds=args.heartbeat_seconds,
    )
    if uploader is not None:
        uploader.start()
    if link is not None:
        agent.on_change = link.beat_soon
        link.start()
    where = f"; control http://127.0.0.1:{control.port}" if control is not None else ""
    print(
        f"bodycam {config.device_id} on standby (pre-event {config.pre_event_seconds:g} s){where}",
        flush=True,
    )
    if args.activate_on_start:
        agent.inbox.put(
            ActivationRequest(Action.ACTIVATE, ActivationTrigger.CONSOLE, by="--activate-on-start")
        )
    try:
        agent.run(stop)
    finally:
        if link is not None:
            link.stop()
        if control is not None:
            control.close()
        if uploader is not None:
            uploader.stop(drain_seconds=config.drain_seconds)
        queue.close()
    return 1 if agent.fault else 0


def _portal_link(
    portal_url: str | None,
    *,
    settings: CaptureSettings,
    device_id: str,
    agent: BodycamAgent,
    report: Callable[[], dict[str, object]],
    heartbeat_seconds: float,
) -> PortalLink | None:
    if not portal_url:
        return None
    if settings.portal_agent_token is None:
        print(
            "warning: --portal is set but COURTREC_PORTAL_AGENT_TOKEN is not; no remote control",
            file=sys.stderr,
        )
        return None
    client = AgentDeviceClient(portal_url, settings.portal_agent_token.get_secret_value(), device_id)
    return PortalLink(client, agent.inbox, report, heartbeat_seconds=heartbeat_seconds)


def _live_starter(
    args: argparse.Namespace, settings: CaptureSettings, config: BodycamConfig, gps: GpsFix | None
) -> LiveStarter:
    token = args.live_token or (settings.live_token.get_secret_value() if settings.live_token else None)
    target = LiveTarget(
        endpoint=args.live,
        token=token,
        device_id=config.device_id,
        room=config.unit,
        case=config.case,
        officer=args.officer,
        gps=gps,
    )
    ice = StreamingSettings()
    policy = IcePolicy.from_lists(ice.ice_servers, ice.ice_host_addresses, ice.ice_allowed_networks)

    def start(recorder: Recorder) -> Callable[[], None]:
        publishers = start_live(recorder.pipelines, target, policy)
        return lambda: stop_live(publishers)

    return start
