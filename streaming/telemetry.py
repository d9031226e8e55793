"""Bodycam and courtroom telemetry sent by agents over the WebRTC data channel ``telemetry``.

One JSON object per message (at most 4 KiB). The server keeps the latest valid report per feed
and shows it on the wall; reports that do not validate are logged and dropped.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationError

logger = logging.getLogger(__name__)

CHANNEL_LABEL = "telemetry"
MAX_MESSAGE_BYTES = 4096


class RecordingState(StrEnum):
    """What the agent's recorder is doing."""

    RECORDING = "recording"
    PAUSED = "paused"
    DEGRADED = "degraded"  # recording, but an alarm is active (no frames, silence, ...)
    STOPPED = "stopped"
    FAILED = "failed"


class GpsFix(BaseModel):
    """A position in WGS 84 degrees; accuracy in metres when known."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0)


class TelemetryReport(BaseModel):
    """One report from an agent; the server trusts only its own receive time, not ``at``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device_id: str = Field(min_length=1, max_length=64)
    room: str | None = Field(default=None, max_length=64)
    officer: str | None = Field(default=None, max_length=128)
    case: str | None = Field(default=None, max_length=128)
    gps: GpsFix | None = None
    battery_percent: float | None = Field(default=None, ge=0, le=100)
    recording: RecordingState = RecordingState.RECORDING
    at: datetime


def parse_report(message: str | bytes) -> TelemetryReport | None:
    """The report in ``message``, or None (logged) when it is too large or not a valid report."""
    if len(message) > MAX_MESSAGE_BYTES:
        logger.warning("telemetry message of %d bytes dropped (limit %d)", len(message), MAX_MESSAGE_BYTES)
        return None
    try:
        return TelemetryReport.model_validate_json(message)
    except ValidationError as exc:
        logger.warning("invalid telemetry dropped: %s", exc.errors(include_url=False)[:3])
        return None


class TelemetryBoard:
    """Latest report per feed id, with the monotonic time it arrived."""

    def __init__(self) -> None:
        self._latest: dict[str, tuple[TelemetryReport, float]] = {}

    def update(self, feed_id: str, report: TelemetryReport) -> None:
        """Keep ``report`` as the feed's latest."""
        self._latest[feed_id] = (report, time.monotonic())

    def latest(self, feed_id: str) -> tuple[TelemetryReport, float] | None:
        """The feed's latest report and when it arrived (monotonic seconds), if any."""
        return self._latest.get(feed_id)

    def forget(self, feed_id: str) -> None:
        """Drop what is known about ``feed_id``."""
        self._latest.pop(feed_id, None)

    def snapshot(self) -> dict[str, dict[str, object]]:
        """Every feed's latest report as JSON-ready dicts, with ``age_seconds`` added."""
        now = time.monotonic()
        return {
            feed_id: {**report.model_dump(mode="json"), "age_seconds": round(now - received, 1)}
            for feed_id, (report, received) in self._latest.items()
        }
