"""The room's state as the service reports it to the portal every few seconds: recording, paused,
idle or fault; whether a sealed span is open; the hearing and recording; each source's problems;
storage headroom in hours; the upload backlog; and the summaries of recordings the portal has not
yet acknowledged."""

from __future__ import annotations

import shutil
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from archive.export import RecordingSummary
from capture.service.clerk_marks import ReadinessMark

NOMINAL_BYTES_PER_HOUR_PER_SOURCE = 2.0e9  # ~4.4 Mbit/s: used until a recording's rate is measured
_RATE_WINDOW_SECONDS = 10.0


class RecorderState(StrEnum):
    """What the room's recorder is doing."""

    RECORDING = "recording"
    PAUSED = "paused"
    IDLE = "idle"
    FAULT = "fault"


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One source (stream) and its active problems (empty: healthy)."""

    name: str
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReportedRecording:
    """A recording's summary for the portal, with the hearing the service recorded it for."""

    summary: RecordingSummary
    hearing_id: int | None = None


@dataclass(frozen=True, slots=True)
class ClosedHearing:
    """A hearing the clerk closed at the console (闭庭) at ``at`` (UTC): the portal marks it held."""

    hearing_id: int
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RoomStatus:
    """One state report."""

    court: str
    room: str
    device_id: str
    state: RecorderState
    agent_time: datetime
    hearing_id: int | None = None
    recording_id: str | None = None
    detail: str = ""
    sources: tuple[SourceHealth, ...] = ()
    storage_headroom_hours: float | None = None
    upload_backlog: int = 0
    schedule_fetched_at: datetime | None = None
    recordings: tuple[ReportedRecording, ...] = field(default=())
    readiness: ReadinessMark | None = None  # the recording's last pre-hearing readiness check
    closed: tuple[ClosedHearing, ...] = ()  # closed at the console, not yet taken by the portal
    sealed: bool = False  # a sealed span is open: the public broadcast must not show the room now

    def to_body(self) -> dict[str, object]:
        """The JSON body of ``POST /api/agent/room-state``."""
        return {
            "court": self.court,
            "room": self.room,
            "device_id": self.device_id,
            "state": self.state.value,
            "agent_time": self.agent_time.isoformat(),
            "hearing_id": self.hearing_id,
            "recording_id": self.recording_id,
            "detail": self.detail[:500],
            "sources": [asdict(s) | {"problems": list(s.problems)} for s in self.sources],
            "storage_headroom_hours": self.storage_headroom_hours,
            "upload_backlog": self.upload_backlog,
            "schedule_fetched_at": None
            if self.schedule_fetched_at is None
            else self.schedule_fetched_at.isoformat(),
            "recordings": [summary_body(r.summary) | {"hearing_id": r.hearing_id} for r in self.recordings],
            "readiness": None if self.readiness is None else self.readiness.to_body(),
            "closed_hearings": [
                {"hearing_id": c.hearing_id, "by": c.by, "at": c.at.isoformat()} for c in self.closed
            ],
            "sealed": self.sealed,
        }


def summary_body(summary: RecordingSummary) -> dict[str, object]:
    """A recording summary as the portal's recordings report takes it (no object prefix)."""
    return {
        "recording_id": summary.recording_id,
        "court": summary.court,
        "room": summary.room,
        "case": summary.case,
        "streams": list(summary.streams),
        "segment_count": summary.segment_count,
        "duration_seconds": summary.duration_seconds,
        "started_at": None if summary.started_at is None else summary.started_at.isoformat(),
        "ended_at": None if summary.ended_at is None else summary.ended_at.isoformat(),
        "complete": summary.complete,
    }


class HeadroomGauge:
    """Hours of recording the spool's disk still holds, at the rate the recorder seals bytes
    (measured over the last seconds; a nominal rate per source until measured). Thread-safe: the
    state reports and the clerk's console both sample it."""

    def __init__(self, spool: Path, sources: int) -> None:
        self._spool = spool
        self._nominal = NOMINAL_BYTES_PER_HOUR_PER_SOURCE * max(sources, 1)
        self._rate: float | None = None  # bytes per hour
        self._samples: list[tuple[float, int]] = []
        self._recording: str | None = None
        self._lock = threading.Lock()

    def sample(self, recording_id: str | None, monotonic: float, sealed_bytes: int) -> None:
        """Note the bytes sealed so far by ``recording_id`` at ``monotonic`` seconds."""
        with self._lock:
            self._sample(recording_id, monotonic, sealed_bytes)

    def _sample(self, recording_id: str | None, monotonic: float, sealed_bytes: int) -> None:
        if recording_id != self._recording:
            self._recording, self._samples = recording_id, []
        if recording_id is None:
            return
        self._samples.append((monotonic, sealed_bytes))
        while len(self._samples) > 2 and monotonic - self._samples[1][0] >= _RATE_WINDOW_SECONDS:
            self._samples.pop(0)
        (first_at, first_bytes), (last_at, last_bytes) = self._samples[0], self._samples[-1]
        if last_at - first_at >= _RATE_WINDOW_SECONDS / 2 and last_bytes > first_bytes:
            self._rate = (last_bytes - first_bytes) / (last_at - first_at) * 3600

    def hours(self) -> float | None:
        """Hours left on the spool's file system (None when it cannot be read)."""
        try:
            free = shutil.disk_usage(self._spool).free
        except OSError:
            return None
        return round(free / (self._rate or self._nominal), 1)
