"""Bodycam and courtroom telemetry sent by agents over the WebRTC data channel ``telemetry``.

One JSON object per message (at most 4 KiB). The agent sends these; the server keeps the latest
valid report per feed (``streaming.server.telemetry_board``) and drops, logged, reports that do not
validate.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

logger = logging.getLogger(__name__)

CHANNEL_LABEL = "telemetry"
MAX_MESSAGE_BYTES = 4096
MAX_ALARMS = 4
MAX_ALARM_CHARS = 400


class RecordingState(StrEnum):
    """What the agent's recorder is doing."""

    RECORDING = "recording"
    PAUSED = "paused"
    DEGRADED = "degraded"  # recording, but an alarm is active (no frames, silence, ...)
    STOPPED = "stopped"
    FAILED = "failed"


class GpsFix(BaseModel):
    """A position in WGS 84 degrees; accuracy in metres, speed in m/s, heading in degrees and the
    receiver's UTC time of the fix when known (a fixed courtroom position has none of them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    accuracy_m: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    speed_mps: float | None = Field(default=None, ge=0, le=1000, allow_inf_nan=False)
    heading_deg: float | None = Field(default=None, ge=0, le=360, allow_inf_nan=False)
    fix_time: datetime | None = None


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
    alarms: list[Annotated[str, Field(max_length=MAX_ALARM_CHARS)]] = Field(
        default_factory=list, max_length=MAX_ALARMS
    )  # the agent's active alarms that need no disk to be told (a full spool), one line each
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
