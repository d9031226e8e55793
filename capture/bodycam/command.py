"""``python -m capture bodycam``: wire the body camera agent to its triggers, the archive and the portal."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from archive import StopRequest
from archive.errors import ArchiveError
from archive.journal import ActivationTrigger, AlarmEvent
from archive.journal.signing.device_key import load_or_create_device_key
from archive.settings import ArchiveSettings
from archive.spool import Uploader, UploadItem, UploadQueue, device_key_path, queue_path
from capture.bodycam.activation import Action, ActivationRequest
from capture.bodycam.agent import BodycamAgent, BodycamConfig, LiveStarter
from capture.bodycam.control_token import default_control_token_path, load_or_create_control_token
from capture.bodycam.heartbeat import heartbeat_report, position_of
from capture.bodycam.live_share import capped_while_live
from capture.bodycam.local_triggers import LocalControl, install_signal_triggers, start_key_trigger
from capture.bodycam.options import with_bodycam_defaults
from capture.bodycam.portal_link import AgentDeviceClient, PortalLink, PortalLinkError
from capture.errors import CaptureError
from capture.live import LiveTarget, configured_ice_policy, live_token, start_live, stop_live
from capture.recording.position_option import position_spec_from_args
from capture.recording.recorder import Recorder
from capture.recording.stream.stream_pipeline import StreamSettings
from capture.settings import CaptureSettings
from capture.space.spool_quota import QUOTA_CONDITION, QuotaAlarm, SpoolQuota
from devices import parse_source_spec
from timebase import SystemClock

if TYPE_CHECKING:
    from archive.store import ObjectStore

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
        position=position_spec_from_args(args),
    )


def run_bodycam(
    args: argparse.Namespace, settings: CaptureSettings, open_store: Callable[[], ObjectStore | None]
) -> int:
    """Run until SIGINT/SIGTERM; returns the exit code."""
    config = bodycam_config(args)
    clock = SystemClock()
    store = open_store()
    try:
        config.spool.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CaptureError(f"spool {config.spool} cannot be created: {exc.strerror or exc}") from exc
    queue = UploadQueue(queue_path(config.spool), clock=clock)
    alarms: list[str] = []  # the quota alarm's line while active: live telemetry shows it
    agents: list[BodycamAgent] = []

    def integrity_alarm(item: UploadItem, message: str) -> None:
        for agent in agents:
            agent.journal(
                AlarmEvent(condition="integrity", active=True, object=item.object_key, detail=message)
            )

    # only now, with a store to upload to: minio costs a second of every agent's start-up
    from archive.store import ObjectStore  # noqa: PLC0415

    uploader = (
        None
        if store is None
        else Uploader(
            queue,
            store,
            on_integrity_alarm=integrity_alarm,
            max_bytes_per_second=args.upload_rate,
            paced_store=lambda rate: ObjectStore(store.config, pacing_bytes_per_second=rate),
        )
    )
    live = _live_starter(args, settings, config, lambda: list(alarms), uploader) if args.live else None
    agent = BodycamAgent(
        config, lambda plan: Recorder(plan, store, clock=clock, uploads_elsewhere=True), live=live
    )
    agents.append(agent)
    quota = _spool_quota(args.spool_quota, config, queue, agent, alarms)
    position = position_of(agent.position)
    rate = (lambda: None) if uploader is None else uploader.meter.bytes_per_second

    def report() -> dict[str, object]:
        beat = heartbeat_report(agent, queue, config.spool, position, clock, upload_rate=rate)
        if quota is not None:  # what the quota still allows: 0 tells the fleet the spool is "full"
            beat["free_bytes"] = min(int(str(beat["free_bytes"])), quota.free_bytes())
            beat["spool_used_bytes"], beat["spool_quota_bytes"] = quota.used_bytes, quota.quota_bytes
        beat["alarms"] = list(alarms)
        return beat

    link = _portal_link(
        args,
        settings=settings,
        config=config,
        agent=agent,
        report=report,
    )
    services: list[_Service] = [s for s in (uploader, quota, link) if s is not None]
    try:
        _serve(args, agent, report, services)
    finally:
        for service in (link, quota):
            if service is not None:
                service.stop()
        if uploader is not None:
            uploader.stop(drain_seconds=config.drain_seconds)
        queue.close()
    return 1 if agent.fault else 0


class _Service(Protocol):
    def start(self) -> None: ...


def _serve(
    args: argparse.Namespace,
    agent: BodycamAgent,
    report: Callable[[], dict[str, object]],
    services: list[_Service],
) -> None:
    """Install the triggers, start ``services`` and run the agent until a stop signal."""
    stop = StopRequest()
    stop.install(on_signal=lambda signum: logger.info("signal %d: stopping", signum))
    install_signal_triggers(agent.inbox)
    start_key_trigger(agent.inbox)
    control = None
    if args.control_port is not None:
        token_file = args.control_token_file or default_control_token_path(args.spool)
        control = LocalControl(
            agent.inbox,
            args.control_port,
            lambda: {**report(), "fault": agent.fault or None, "pre_event_bytes": agent.standby_bytes()},
            token=load_or_create_control_token(token_file),
        )
        control.start()
        print(f"local control token in {token_file} (send Authorization: Bearer <token>)", flush=True)
    for service in services:
        service.start()
        if isinstance(service, PortalLink):
            agent.on_change = service.beat_soon
    where = f"; control http://127.0.0.1:{control.port}" if control is not None else ""
    print(
        f"bodycam {agent.device_id} on standby (pre-event {agent.pre_event_seconds:g} s){where}", flush=True
    )
    if args.activate_on_start:
        agent.inbox.put(
            ActivationRequest(Action.ACTIVATE, ActivationTrigger.CONSOLE, by="--activate-on-start")
        )
    try:
        agent.run(stop)
    finally:
        if control is not None:
            control.close()


def _spool_quota(
    quota_bytes: int | None, config: BodycamConfig, queue: UploadQueue, agent: BodycamAgent, alarms: list[str]
) -> SpoolQuota | None:
    """The spool quota, its alarm journaled in the recording in progress and shown live."""
    if quota_bytes is None:
        return None

    def raised(alarm: QuotaAlarm) -> None:
        alarms[:] = [alarm.line()] if alarm.active else []
        agent.journal(AlarmEvent(condition=QUOTA_CONDITION, active=alarm.active, detail=alarm.detail))

    return SpoolQuota(
        config.spool, quota_bytes, queue, active_recording=lambda: agent.recording_id, on_alarm=raised
    )


def _portal_link(
    args: argparse.Namespace,
    *,
    settings: CaptureSettings,
    config: BodycamConfig,
    agent: BodycamAgent,
    report: Callable[[], dict[str, object]],
) -> PortalLink | None:
    """The link to the portal, its calls signed with the device's journal key (enrolled first with
    ``--enrol-code``). CaptureError when the key is unusable. A refused or failed enrolment is only
    warned about: the camera records all the same (the portal refuses its calls until enrolled)."""
    if not args.portal:
        return None
    if settings.portal_agent_token is None:
        print(
            "warning: --portal is set but COURTREC_PORTAL_AGENT_TOKEN is not; no remote control",
            file=sys.stderr,
        )
        return None
    try:
        key = load_or_create_device_key(config.key_path or device_key_path(config.spool))
    except ArchiveError as exc:
        raise CaptureError(f"the device key cannot sign portal requests: {exc}") from exc
    token = settings.portal_agent_token.get_secret_value()
    client = AgentDeviceClient(args.portal, token, config.device_id, key.sign)
    if args.enrol_code:
        _enrol(client, key.public_key_b64, args.enrol_code, config)
    return PortalLink(client, agent.inbox, report, heartbeat_seconds=args.heartbeat_seconds)


def _enrol(client: AgentDeviceClient, public_key: str, code: str, config: BodycamConfig) -> None:
    """Enrol ``public_key`` with the one-time ``code`` unless this key is already enrolled (a note in
    the spool: the same command line restarted must not spend, or be refused, a used code)."""
    note = config.spool / "device" / "enrolled-key"
    try:
        if note.read_text(encoding="ascii").strip() == public_key:
            return
    except (OSError, UnicodeDecodeError):
        pass  # no note (never enrolled here) or an unreadable one: enrol
    try:
        client.enrol(public_key, code)
    except PortalLinkError as exc:
        print(
            f"warning: enrolment of {config.device_id} failed ({exc}); recording goes on, but the"
            " portal refuses its heartbeats and commands until it is enrolled",
            file=sys.stderr,
            flush=True,
        )
        return
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(public_key + "\n", encoding="ascii")
    print(f"bodycam {config.device_id} enrolled its key {public_key}", flush=True)


def _live_starter(
    args: argparse.Namespace,
    settings: CaptureSettings,
    config: BodycamConfig,
    alarms: Callable[[], list[str]],
    uploader: Uploader | None,
) -> LiveStarter:
    """Publishing live; while it is on, the backlog's upload is capped at ``--upload-rate-live`` so that
    on a weak link live keeps its share (live first, the backlog after)."""
    token = live_token(args.live_token, settings.live_token)
    target = LiveTarget(
        endpoint=args.live,
        token=token,
        device_id=config.device_id,
        room=config.unit,
        case=config.case,
        officer=args.officer,
    )
    policy = configured_ice_policy()

    def start(recorder: Recorder) -> Callable[[], None]:
        track = recorder.position_track
        live_target = replace(target, position=(lambda: None) if track is None else (lambda: track.latest))

        def publish() -> Callable[[], None]:
            publishers = start_live(recorder.pipelines, live_target, policy, alarms=alarms)
            return lambda: stop_live(publishers)

        return capped_while_live(
            uploader, live_rate=args.upload_rate_live, usual_rate=args.upload_rate, start_live=publish
        )

    return start
