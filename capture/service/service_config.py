"""What the courtroom service records and how often it looks at the schedule and reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from capture.recording.stream.stream_pipeline import StreamSettings
from capture.service.schedule.planner import Planner
from devices import SourceSpec


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """What the service records and how often it looks at the schedule and reports."""

    court: str
    room: str
    device_id: str
    spool: Path
    sources: Sequence[SourceSpec]
    planner: Planner = field(default_factory=Planner)
    stream: StreamSettings = field(default_factory=StreamSettings)
    checkpoint_seconds: float = 60.0
    key_path: Path | None = None
    schedule_days: int = 3
    refresh_seconds: float = 30.0
    report_seconds: float = 3.0
    tick_seconds: float = 0.5
    drain_seconds: float = 30.0
    room_name: str | None = None  # the caption's courtroom name; None: the schedule's
