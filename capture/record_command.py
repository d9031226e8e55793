"""``python -m capture record``: record a room's sources to the spool and the archive until stopped,
reporting to the portal and publishing live when asked."""

from __future__ import annotations

import argparse
import logging
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from archive import StopRequest
from archive.settings import ArchiveSettings
from archive.spool import UploadState
from capture.errors import CaptureError
from capture.live import LiveTarget, configured_ice_policy, live_token, start_live, stop_live
from capture.portal_report import PortalReporter
from capture.recording.position_option import position_spec_from_args
from capture.recording.recorder import Recorder, RecordingPlan
from capture.recording.stream.stream_pipeline import StreamSettings
from capture.settings import CaptureSettings
from capture.space.alarm_paths import active_alarm_lines, report_space_alarms
from devices import parse_source_spec

if TYPE_CHECKING:
    from archive.store import ObjectStore
    from streaming.publisher import LivePublisher

logger = logging.getLogger(__name__)
REPORT_WAIT_SECONDS = 10.0  # at stop, how long the final report to the portal may hold the exit


def run_record(
    args: argparse.Namespace, settings: CaptureSettings, open_store: Callable[[], ObjectStore | None]
) -> int:
    """Record until ``--duration`` or SIGINT/SIGTERM; returns the exit code (1 when a stream failed or
    an upload conflicted or was corrupt)."""
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
    store = open_store()
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
    token = live_token(args.live_token, settings.live_token)
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
