"""What the clerk's console shows, as one JSON document: the recorder's state and elapsed time, the
hearing (scheduled or ad hoc) and the next one, each camera and microphone with its problems, the
storage headroom, the upload backlog, the active alarms and the clerk's open marks. Times are Beijing
wall-clock time; nothing here needs the portal."""

from __future__ import annotations

from datetime import datetime

from archive.formats.stream_labels import stream_label
from capture.service.clerk_desk import BEIJING, PROBLEM_NAMES, READY_HEADROOM_HOURS, beijing
from capture.service.console.levels import LevelMeters
from capture.service.console.pictures import Thumbnails
from capture.service.courtroom_service import CourtroomService
from capture.service.recording_session import RecordingSession
from capture.service.room_state import RecorderState
from capture.service.schedule.schedule import ScheduledHearing
from timebase import Clock

STATE_NAMES = {
    RecorderState.RECORDING: "录像中",
    RecorderState.PAUSED: "暂停录像",
    RecorderState.IDLE: "待机（未录像）",
    RecorderState.FAULT: "故障",
}


def _hearing(hearing: ScheduledHearing) -> dict[str, object]:
    return {
        "id": hearing.hearing_id if hearing.hearing_id > 0 else None,
        "ad_hoc": hearing.hearing_id <= 0,
        "case_number": hearing.case_number,
        "starts": beijing(hearing.starts_at),
        "expected_end": None if hearing.hearing_id <= 0 else beijing(hearing.expected_end_at),
    }


class ConsoleView:
    """Builds the console's state from ``service`` and follows its recording's streams."""

    def __init__(self, service: CourtroomService, thumbnails: Thumbnails, meters: LevelMeters, clock: Clock):
        self._service = service
        self._thumbnails = thumbnails
        self._meters = meters
        self._clock = clock
        self._started: dict[str, datetime | None] = {}

    def follow(self) -> RecordingSession | None:
        """Point the thumbnails and meters at the recording in progress; returns it."""
        _, recorder = self._service.current()
        pipelines = recorder.pipelines if recorder is not None else []
        self._thumbnails.follow(pipelines)
        self._meters.follow(pipelines)
        return recorder

    def streams(self) -> dict[str, tuple[bool, bool]]:
        """Each stream of the recording in progress: (has video, has sound)."""
        recorder = self.follow()
        return {p.name: (p.has_video, p.has_audio) for p in (recorder.pipelines if recorder else [])}

    def state(self) -> dict[str, object]:
        """The console's state document (blocking: reads the journal; call off the event loop)."""
        recorder = self.follow()
        active, _ = self._service.current()
        status = self._service.status()
        now = self._clock.now()
        problems = {s.name: [PROBLEM_NAMES.get(p, p) for p in s.problems] for s in status.sources}
        streams = [
            {
                "name": p.name,
                "label": stream_label(p.name),
                "video": p.has_video,
                "audio": p.has_audio,
                "problems": problems.get(p.name, []),
            }
            for p in (recorder.pipelines if recorder is not None else [])
        ]
        alarms = [f"{stream_label(name)}：{'、'.join(found)}" for name, found in problems.items() if found]
        if status.detail:
            alarms.append(status.detail)
        hours = status.storage_headroom_hours
        if hours is not None and hours < READY_HEADROOM_HOURS:
            alarms.append(f"本机存储空间不足：约可再录 {hours:g} 小时")
        marks = self._service.marks.of(active.recording_id) if active is not None else None
        elapsed = None
        if active is not None and recorder is not None:
            started = self._started_at(active.recording_id, recorder)
            elapsed = None if started is None else max(0, int((now - started).total_seconds()))
        upcoming = [h for h in self._service.upcoming() if h.starts_at > now]
        return {
            "now": now.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "state": status.state.value,
            "state_name": STATE_NAMES[status.state],
            "recording_id": status.recording_id,
            "hearing": None if active is None else _hearing(active.hearing),
            "next_hearing": _hearing(upcoming[0]) if upcoming else None,
            "elapsed_seconds": elapsed,
            "streams": streams,
            "storage_headroom_hours": hours,
            "upload_backlog": status.upload_backlog,
            "uploads": self._service.uploads,
            "alarms": alarms,
            "schedule_fetched": None
            if status.schedule_fetched_at is None
            else beijing(status.schedule_fetched_at),
            "pause": None
            if marks is None or marks.pause is None
            else {"reason": marks.pause.reason, "by": marks.pause.by, "since": beijing(marks.pause.since)},
            "seal": None
            if marks is None or marks.seal is None
            else {"reason": marks.seal.reason, "by": marks.seal.by, "since": beijing(marks.seal.since)},
            "readiness": None
            if marks is None or marks.readiness is None
            else {
                "at": beijing(marks.readiness.at),
                "by": marks.readiness.event.by,
                "ready": marks.readiness.event.ready,
                "checks": [c.to_fields() for c in marks.readiness.event.checks],
            },
        }

    def _started_at(self, recording_id: str, recorder: RecordingSession) -> datetime | None:
        if self._started.get(recording_id) is None:
            self._started = {recording_id: recorder.summary().started_at}
        return self._started[recording_id]
