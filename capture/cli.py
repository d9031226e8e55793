"""``python -m capture``: record a room, serve a room by its schedule, list capture devices."""

from __future__ import annotations

import argparse
import logging
import sys
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from archive import ArchiveError, StopRequest, StoreAuthError, StoreUnavailableError
from archive.formats.settings_errors import RefusedSettingError, load_settings
from archive.settings import ArchiveSettings
from archive.spool import UploadState
from capture.bodycam import add_bodycam_parser, run_bodycam
from capture.errors import CaptureError
from capture.live import LiveTarget, configured_ice_policy, start_live, stop_live
from capture.portal_report import PortalReporter
from capture.recording.position_track import add_gps_option, position_spec_from_args
from capture.recording.recorder import Recorder, RecordingPlan
from capture.recording.recording_options import add_recording_options
from capture.recording.stream.stream_pipeline import StreamSettings
from capture.service.command import add_serve_parser, run_serve
from capture.settings import CaptureSettings, check_agent_settings
from capture.space.alarm_paths import active_alarm_lines, report_space_alarms
from devices import DevicesError, list_devices, parse_source_spec

if TYPE_CHECKING:
    from archive.store import ObjectStore
    from streaming.publisher import LivePublisher

logger = logging.getLogger(__name__)
REPORT_WAIT_SECONDS = 10.0  # at stop, how long the final report to the portal may hold the exit


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
        if args.command == "serve":
            return run_serve(args, settings, _open_store)
        if args.command == "bodycam":
            return run_bodycam(args, settings, _open_store)
        return _record(args, settings)
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


def _record(args: argparse.Namespace, settings: CaptureSettings) -> int:
    specs = [parse_source_spec(text) for text in args.source]
    if not 2 <= args.segment_seconds <= 60:
        raise CaptureError(f"--segment-seconds must be between 2 and 60 (got {args.segment_seconds})")
    recording_id = args.recording_id or f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    plan = RecordingPlan(
        recording_id=recording_id,
        court=args.court,
        room=args.room,
        device_id=args.device_id,
        spool=args.spool,
        sources=specs,
        case=args.case,
        room_name=args.room_name,
        checkpoint_seconds=args.checkpoint_seconds,
        key_path=args.key_file,
        disk_alarm_hours=args.disk_alarm_hours,
        position=position_spec_from_args(args),
        upload_mismatch_window_seconds=ArchiveSettings().upload_mismatch_window_seconds(),
        stream=StreamSettings(
            segment_seconds=args.segment_seconds,
            encoder=args.encoder,
            preset=args.preset,
            video_bitrate=args.video_bitrate,
            low_delay=bool(args.live),
        ),
    )
    store = _open_store()
    reporter = _portal_reporter(args.portal, settings)

    def report_checkpoint() -> None:
        if reporter is not None:
            reporter.report(recorder.summary(), alarms=active_alarm_lines(recorder))

    recorder = Recorder(plan, store, on_checkpoint=report_checkpoint)
    stop = StopRequest()
    stop.install(on_signal=lambda signum: logger.info("signal %d: stopping", signum))
    if reporter is not None:
        report_space_alarms(recorder, reporter)
    recorder.start()
    print(f"recording {recording_id} started; spool {args.spool}", flush=True)
    if reporter is not None:
        reporter.report(recorder.summary())
    publishers = _start_live(args, settings, recorder) if args.live else []
    stop.wait(args.duration)  # polls in short slices: see archive.stop_request
    stop_live(publishers)
    recorder.stop(drain_seconds=args.drain_seconds if store is not None else 0.0)
    if reporter is not None:
        reporter.report(recorder.summary())
        if not reporter.flush(timeout=REPORT_WAIT_SECONDS):
            print("warning: the portal did not take the final report; its bucket scan will index it")
        reporter.close()
    counts = recorder.queue_counts
    print(f"recording {recording_id} stopped; uploads: {', '.join(f'{k}={v}' for k, v in counts.items())}")
    failed = [p.name for p in recorder.pipelines if p.failure is not None]
    if failed:
        print(f"error: streams failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 1 if counts[UploadState.CONFLICT] or counts[UploadState.CORRUPT] else 0


def _portal_reporter(portal_url: str | None, settings: CaptureSettings) -> PortalReporter | None:
    """A reporter when a portal is configured; a missing token is warned about, never fatal: the
    recording matters more than its report (the portal's bucket scan indexes it anyway)."""
    if not portal_url:
        return None
    if settings.portal_agent_token is None:
        print(
            "warning: --portal is set but COURTREC_PORTAL_AGENT_TOKEN is not; not reporting", file=sys.stderr
        )
        return None
    return PortalReporter(portal_url, settings.portal_agent_token.get_secret_value())


def _start_live(
    args: argparse.Namespace, settings: CaptureSettings, recorder: Recorder
) -> list[LivePublisher]:
    token = args.live_token or (settings.live_token.get_secret_value() if settings.live_token else None)
    track = recorder.position_track
    target = LiveTarget(
        endpoint=args.live,
        token=token,
        device_id=args.device_id,
        room=args.room,
        case=args.case,
        officer=args.officer,
        position=(lambda: None) if track is None else (lambda: track.latest),
    )
    policy = configured_ice_policy()
    return start_live(
        recorder.pipelines, target, policy, mix=recorder.mix, alarms=lambda: active_alarm_lines(recorder)
    )


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
