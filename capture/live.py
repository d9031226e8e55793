"""The agent's live side: one WHIP publisher per recorded stream, fed from the recorder's taps, and
one for the microphones' mix (``mix``, the public broadcast's sound) when the recording makes one.

Nothing here can stop or slow the recording: publishers read bounded tap queues that drop their
oldest items, run in their own threads, and reconnect by themselves (streaming.LivePublisher).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import SecretStr

from archive.formats.identifiers import MIXED_SOUND_STREAM
from capture.device_status import battery_percent
from streaming.settings import StreamingSettings
from streaming.telemetry import MAX_ALARM_CHARS, MAX_ALARMS, GpsFix, RecordingState, TelemetryReport

if TYPE_CHECKING:
    from capture.recording.mix.mic_mix import MicrophoneMix
    from capture.recording.stream.stream_pipeline import StreamPipeline
    from devices.position import PositionFix
    from streaming.ice import IcePolicy
    from streaming.publisher import LivePublisher

logger = logging.getLogger(__name__)

_VIDEO_QUEUE = 60  # ~2-4 s of video: beyond that the live copy is stale anyway
_AUDIO_QUEUE = 100  # ~2 s of 1024-sample frames


@dataclass(frozen=True, slots=True)
class LiveTarget:
    """Where and as whom to publish: ``endpoint`` is the WHIP base URL (``.../whip``)."""

    endpoint: str
    token: str | None
    device_id: str
    room: str
    case: str | None = None
    officer: str | None = None
    position: Callable[[], PositionFix | None] = field(default=lambda: None)
    """The latest position to report (e.g. ``PositionTrack.latest``), read at every report."""


def start_live(
    pipelines: Sequence[StreamPipeline],
    target: LiveTarget,
    policy: IcePolicy,
    *,
    mix: MicrophoneMix | None = None,
    alarms: Callable[[], Sequence[str]] = lambda: (),
) -> list[LivePublisher]:
    """Start publishing every pipeline to ``{endpoint}/{room}/{stream}``; returns the publishers.

    A stream with video is published as H.264 (the recorder's own packets) plus Opus when it has
    sound; an audio-only stream (a courtroom's separate microphone) as Opus alone, and so is ``mix``
    (the recorder's microphones' mix, from the frames it encodes) when there is one. ``alarms`` gives
    the agent's active alarms (e.g. a full spool) for each telemetry report.
    """
    # aiortc and httpx (about a second of CPU) load here, when an agent starts publishing, not at its start
    from streaming.publisher import LiveInput, LivePublisher, WhipClient  # noqa: PLC0415

    sources = [
        (
            pipeline.name,
            LiveInput(
                video=pipeline.video_packets.subscribe(_VIDEO_QUEUE) if pipeline.has_video else None,
                audio=pipeline.audio_frames.subscribe(_AUDIO_QUEUE) if pipeline.has_audio else None,
                request_keyframe=pipeline.request_keyframe,
                telemetry=_reporter(pipeline, target, alarms),
            ),
        )
        for pipeline in pipelines
    ]
    if mix is not None:
        mixed = LiveInput(
            video=None,
            audio=mix.audio_frames.subscribe(_AUDIO_QUEUE),
            request_keyframe=lambda: None,
            telemetry=_reporter(mix, target, alarms),
        )
        sources.append((MIXED_SOUND_STREAM, mixed))
    publishers: list[LivePublisher] = []
    for name, source in sources:
        url = f"{target.endpoint.rstrip('/')}/{target.room}/{name}"
        publisher = LivePublisher(name, WhipClient(url, target.token), policy, source)
        publisher.start()
        publishers.append(publisher)
        logger.info("stream %s: publishing %s live to %s", name, "+".join(sorted(source.kinds)), url)
    return publishers


def configured_ice_policy() -> IcePolicy:
    """The ICE servers and the host addresses and networks the live side may use, from the
    environment (:class:`streaming.StreamingSettings`); raises ``ValueError`` on a bad list."""
    from streaming.ice import IcePolicy  # noqa: PLC0415 - aiortc: only an agent that publishes needs it

    ice = StreamingSettings()
    return IcePolicy.from_lists(ice.ice_servers, ice.ice_host_addresses, ice.ice_allowed_networks)


def live_token(given: str | None, configured: SecretStr | None) -> str | None:
    """The WHIP bearer token: the one given on the command line (``--live-token``), else the
    configured one (``COURTREC_LIVE_TOKEN``), else none."""
    return given or (configured.get_secret_value() if configured else None)


def stop_live(publishers: Sequence[LivePublisher]) -> None:
    """Stop every publisher (ending their WHIP sessions when the server is reachable)."""
    for publisher in publishers:
        publisher.stop()


def _reporter(
    pipeline: StreamPipeline | MicrophoneMix, target: LiveTarget, alarms: Callable[[], Sequence[str]]
) -> Callable[[], TelemetryReport]:
    def report() -> TelemetryReport:
        active = [line[:MAX_ALARM_CHARS] for line in alarms()][:MAX_ALARMS]
        state = RecordingState.DEGRADED if active else RecordingState.RECORDING
        return TelemetryReport(
            device_id=target.device_id,
            room=target.room,
            officer=target.officer,
            case=target.case,
            gps=gps_fix(target.position()),
            battery_percent=battery_percent(),
            recording=RecordingState.FAILED if pipeline.failure is not None else state,
            alarms=active,
            at=datetime.now(UTC),
        )

    return report


def gps_fix(fix: PositionFix | None) -> GpsFix | None:
    """A recorded position fix as the telemetry channel carries it (None stays None)."""
    if fix is None:
        return None
    return GpsFix(
        lat=fix.lat,
        lon=fix.lon,
        accuracy_m=fix.accuracy_m,
        speed_mps=fix.speed_mps,
        heading_deg=fix.heading_deg,
        fix_time=fix.fix_time,
    )
