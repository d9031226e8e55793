"""The courtroom recorder service: records each hearing of the room's schedule by itself.

A loop looks at the schedule in force every ``tick`` seconds, asks the :class:`Planner` what to
record, and starts, switches or stops the :class:`~capture.recording.recorder.Recorder` accordingly: one
recording per hearing (its id, case number and courtroom in the journal's start event). The recording
in progress is written to the service state before it starts, so a restart (a kill -9 included)
resumes the same recording, its gap journaled by the recorder. A new hearing is started before the
previous one is stopped (once the new one has sealed its first segment), so back-to-back hearings
leave no gap between their recordings.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from archive import ArchiveError
from archive.journal import AlarmEvent
from archive.spool import Uploader, UploadItem, UploadQueue, queue_path
from archive.store import ObjectStore
from capture.errors import CaptureError
from capture.recording.recorder import Recorder, RecordingPlan, stream_names
from capture.recording.stream_pipeline import StreamSettings
from capture.service.clerk_marks import ClerkMarks
from capture.service.portal_client import AgentPortalClient
from capture.service.recording_session import RecorderFactory, RecordingSession, RecordingWatcher
from capture.service.room_state import (
    ClosedHearing,
    HeadroomGauge,
    RecorderState,
    ReportedRecording,
    RoomStatus,
    SourceHealth,
)
from capture.service.schedule.planner import Decision, Planner, StopReason
from capture.service.schedule.schedule import ScheduledHearing
from capture.service.schedule.schedule_cache import ScheduleCache
from capture.service.schedule.schedule_refresher import ScheduleRefresher
from capture.service.service_state import ActiveRecording, ServiceState
from capture.service.state_reporter import StateReporter
from devices import DevicesError, SourceSpec
from timebase import Clock, SystemClock

logger = logging.getLogger(__name__)


HANDOVER_SLACK_SECONDS = 10.0  # beyond two segments, how long a hand-over waits for the next recording
START_RETRY_SECONDS = 5.0  # after a recording failed to start (a source missing), try again this soon


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


class CourtroomService:
    """Start with :meth:`start`; :meth:`stop` ends the recording in progress (a restart resumes it)."""

    def __init__(
        self,
        config: ServiceConfig,
        *,
        portal: AgentPortalClient | None,
        store: ObjectStore | None,
        clock: Clock | None = None,
        make_recorder: RecorderFactory | None = None,
        watchers: Sequence[RecordingWatcher] = (),
    ) -> None:
        stream_names(config.sources)  # refuse clashing stream names before anything runs
        self._config = config
        self._store = store
        self._clock: Clock = clock or SystemClock()
        self._make_recorder: RecorderFactory = make_recorder or (
            lambda plan: Recorder(plan, store, clock=clock, uploads_elsewhere=True)
        )
        self._state = ServiceState.load(config.spool)
        self._schedule = ScheduleRefresher(
            portal,
            ScheduleCache(config.spool),
            days=config.schedule_days,
            interval=config.refresh_seconds,
            clock=self._clock,
        )
        self._reporter = (
            None
            if portal is None
            else StateReporter(
                portal, self.status, self._delivered, interval=config.report_seconds, clock=self._clock
            )
        )
        self._lock = threading.RLock()
        self._recorder: RecordingSession | None = None
        self._fault = ""
        self._integrity = ""
        self._retry_at = 0.0
        self._unreported: dict[str, ReportedRecording] = {}
        self._closed: dict[int, ClosedHearing] = {}  # closed at the console; until the portal took it
        self._gauge = HeadroomGauge(config.spool, len(config.sources))
        self._queue = UploadQueue(queue_path(config.spool), clock=self._clock)
        # one uploader for the spool, for the service's whole life: it drains between hearings too, and
        # two recordings overlapping at a hand-over never race for the same queue entries
        self._uploader = (
            None if store is None else Uploader(self._queue, store, on_integrity_alarm=self._integrity_alarm)
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="courtroom-service", daemon=True)
        self._watchers = tuple(watchers)
        self._commands: queue.SimpleQueue[tuple[Callable[[], object], Future[object]]] = queue.SimpleQueue()
        self.marks = ClerkMarks()
        """What the clerk marked in the recording in progress (pause, sealed span, readiness)."""

    def start(self) -> None:
        """Fetch the schedule once (without waiting for a portal that is down), then run."""
        self._schedule.refresh_once()
        self._schedule.start()
        if self._uploader is not None:
            self._uploader.start()
        if self._reporter is not None:
            self._reporter.start()
        self._thread.start()

    def stop(self) -> None:
        """Stop the recording in progress (kept as in progress: a restart resumes it) and every thread."""
        self._stop.set()
        self._thread.join()
        self._schedule.stop()
        if self._uploader is not None:
            self._uploader.stop(drain_seconds=self._config.drain_seconds)
        if self._reporter is not None:
            self._reporter.stop()
        self._queue.close()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            self.resume_left_recording()
            while not self._stop.is_set():
                self.run_commands()
                self.step()
                self._clock.wait(self._stop, self._config.tick_seconds)
        except Exception:  # a supervisor's top level: say what broke, then stop what records
            logger.exception("the courtroom service failed")
            raise
        finally:
            with self._lock:
                active = self._state.active
                if self._recorder is not None and active is not None:
                    drain = self._config.drain_seconds
                    self._finish_recorder(self._recorder, active.hearing, "recorder service stopped", drain)
                    self._recorder = None

    def step(self) -> None:
        """Look at the schedule once and start, switch or stop the recording accordingly."""
        schedule = self._schedule.schedule
        active = self._state.active
        decision = self._config.planner.decide(
            schedule.hearings if schedule else (),
            self._clock.now(),
            current=active.hearing if active else None,
            finished=frozenset(self._state.finished),
        )
        target = decision.record
        if active is not None and target is not None and target.hearing_id == active.hearing.hearing_id:
            if target != active.hearing:  # new times or status from the portal: remember them
                active.hearing = target
                self._save_state()
            if self._recorder is None:
                self._start(target, resume=active.recording_id)
            return
        if active is not None:
            self._end_active(decision, successor=target)
        elif target is not None:
            self._start(target, resume=None)

    def status(self) -> RoomStatus:
        """The room's state now (for the portal)."""
        with self._lock:
            recorder, active = self._recorder, self._state.active
            schedule = self._schedule.schedule
            base = RoomStatus(
                court=self._config.court,
                room=self._config.room,
                device_id=self._config.device_id,
                state=RecorderState.FAULT if self._fault else RecorderState.IDLE,
                agent_time=self._clock.now(),
                hearing_id=active.hearing.hearing_id if active and active.hearing.hearing_id > 0 else None,
                detail=self._fault or self._integrity,
                sources=(),  # known only while recording (the recorder opens the sources)
                upload_backlog=self._queue.pending_count(),
                schedule_fetched_at=schedule.fetched_at if schedule else None,
                recordings=tuple(self._unreported.values()),
                closed=tuple(self._closed.values()),
            )
            health = recorder.health() if recorder is not None and active is not None else None
        if health is None or active is None:
            self._gauge.sample(None, self._clock.monotonic(), 0)
            return dataclasses.replace(base, storage_headroom_hours=self._gauge.hours())
        self._gauge.sample(active.recording_id, self._clock.monotonic(), health.sealed_bytes)
        failed = [name for name, problems in health.problems.items() if "failed" in problems]
        marks = self.marks.of(active.recording_id)
        return dataclasses.replace(
            base,
            state=RecorderState.FAULT
            if failed
            else (RecorderState.PAUSED if marks.pause is not None else RecorderState.RECORDING),
            readiness=marks.readiness,
            detail=f"streams failed: {', '.join(failed)}" if failed else base.detail,
            recording_id=active.recording_id,
            sources=tuple(SourceHealth(name, problems) for name, problems in health.problems.items()),
            storage_headroom_hours=self._gauge.hours(),
        )

    @property
    def uploads(self) -> bool:
        """Whether sealed segments are uploaded (an object store is configured)."""
        return self._store is not None

    def current(self) -> tuple[ActiveRecording | None, RecordingSession | None]:
        """The hearing being recorded and its recording (None, None when idle)."""
        with self._lock:
            return self._state.active, self._recorder

    def upcoming(self) -> list[ScheduledHearing]:
        """The schedule's hearings not finished yet, by start (for the console)."""
        schedule = self._schedule.schedule
        finished = set(self._state.finished)
        hearings = schedule.hearings if schedule else ()
        return sorted((h for h in hearings if h.hearing_id not in finished), key=lambda h: h.starts_at)

    def call(self, command: Callable[[], object]) -> Future[object]:
        """Run ``command`` in the service's thread between two looks at the schedule (so a clerk's
        start or stop never races the schedule's); its result or error comes through the future."""
        done: Future[object] = Future()
        self._commands.put((command, done))
        return done

    def run_commands(self) -> None:
        """Run the commands :meth:`call` queued (in the service's thread)."""
        while True:
            try:
                command, done = self._commands.get_nowait()
            except queue.Empty:
                return
            if done.set_running_or_notify_cancel():
                try:
                    done.set_result(command())
                except Exception as exc:  # handed to the caller, who reports it to the clerk
                    done.set_exception(exc)

    def start_ad_hoc(self, hearing: ScheduledHearing) -> str | None:
        """Record ``hearing`` (the clerk's, not the schedule's) now; its recording id, or None when it
        cannot start (the fault is in the status). Call in the service's thread, while idle."""
        if self._state.active is not None:
            raise CaptureError("a recording is in progress")
        self._retry_at = 0.0
        recorder = self._start(hearing, resume=None)
        active = self._state.active
        return active.recording_id if recorder is not None and active is not None else None

    def close_active(self, reason: str, *, by: str) -> None:
        """End the recording in progress for the clerk's close by ``by`` (journaled with ``reason``);
        the hearing is finished for this service, and reported closed to the portal. Call in the
        service's thread."""
        active = self._state.active
        if active is None:
            raise CaptureError("no recording is in progress")
        with self._lock:
            old, self._recorder = self._recorder, None
            hearing_id = active.hearing.hearing_id
            if hearing_id > 0:  # the portal's hearing: it is held now (an ad-hoc one is not the portal's)
                self._closed[hearing_id] = ClosedHearing(hearing_id, by, self._clock.now())
        self._finish_hearing(active.hearing, StopReason.CLOSED)
        if old is not None:
            self._finish_recorder(old, active.hearing, reason, 0.0)

    def _integrity_alarm(self, item: UploadItem, message: str) -> None:
        """An upload integrity alarm (the uploader has logged it): journaled in the recording in
        progress, as the recorder's own uploader would, and shown in the state reports."""
        with self._lock:
            recorder = self._recorder
            self._integrity = f"上传完整性告警：{item.object_key}：{message}"
        if recorder is not None:
            event = AlarmEvent(condition="integrity", active=True, object=item.object_key, detail=message)
            recorder.journal_alarm(event)

    def _delivered(self, status: RoomStatus) -> None:
        with self._lock:
            for sent in status.recordings:
                if self._unreported.get(sent.summary.recording_id) == sent:
                    del self._unreported[sent.summary.recording_id]
            for closed in status.closed:
                self._closed.pop(closed.hearing_id, None)

    def resume_left_recording(self) -> None:
        """A recording left in progress by the last run: resume it if its hearing is still due, else
        close it (resumed and stopped at once, so its journal ends with the reason)."""
        active = self._state.active
        if active is None:
            return
        schedule = self._schedule.schedule
        decision = self._config.planner.decide(
            schedule.hearings if schedule else (),
            self._clock.now(),
            current=active.hearing,
            finished=frozenset(self._state.finished),
        )
        if decision.record is not None and decision.record.hearing_id == active.hearing.hearing_id:
            logger.info("resuming recording %s of hearing %d", active.recording_id, active.hearing.hearing_id)
            self._start(decision.record, resume=active.recording_id)
            return
        reason = decision.stop_reason or StopReason.GRACE_ENDED
        logger.info("closing recording %s left by the last run: %s", active.recording_id, reason.value)
        recorder = self._open_recorder(active.hearing, active.recording_id)
        if recorder is not None:
            self._finish_recorder(recorder, active.hearing, f"closed after a restart: {reason.value}", 0.0)
        self._finish_hearing(active.hearing, reason)

    def _start(self, hearing: ScheduledHearing, *, resume: str | None) -> RecordingSession | None:
        if self._clock.monotonic() < self._retry_at:
            return None
        recording_id = (
            resume or f"{self._clock.now():%Y%m%dT%H%M%SZ}-{_label(hearing)}-{uuid.uuid4().hex[:6]}"
        )
        with self._lock:
            self._state.active = ActiveRecording(hearing, recording_id)
            self._save_state()  # before the first byte: a crash from here on resumes this recording
        recorder = self._open_recorder(hearing, recording_id)
        with self._lock:
            self._recorder = recorder
        if recorder is not None:
            logger.info(
                "recording %s started for hearing %d (%s)",
                recording_id,
                hearing.hearing_id,
                hearing.case_number,
            )
            summary = recorder.summary()
            with self._lock:
                self._unreported[recording_id] = ReportedRecording(summary, _portal_hearing(hearing))
            for watcher in self._watchers:
                watcher("started", recorder)
            self._wake_reporter()
        return recorder

    def _open_recorder(self, hearing: ScheduledHearing, recording_id: str) -> RecordingSession | None:
        config = self._config
        plan = RecordingPlan(
            recording_id=recording_id,
            court=config.court,
            room=config.room,
            device_id=config.device_id,
            spool=config.spool,
            sources=config.sources,
            case=hearing.case_number or None,
            hearing=str(hearing.hearing_id) if hearing.hearing_id > 0 else None,  # ad hoc: no portal hearing
            room_name=config.room_name or hearing.courtroom_name or None,
            checkpoint_seconds=config.checkpoint_seconds,
            key_path=config.key_path,
            stream=config.stream,
        )
        try:
            recorder = self._make_recorder(plan)
            recorder.start()
        except (CaptureError, DevicesError, ArchiveError) as exc:
            logger.error("recording %s of hearing %d cannot start: %s", recording_id, hearing.hearing_id, exc)
            with self._lock:
                self._fault = f"录像无法开始：{exc}"
            self._retry_at = self._clock.monotonic() + START_RETRY_SECONDS
            return None
        with self._lock:
            self._fault = ""
        return recorder

    def _end_active(self, decision: Decision, *, successor: ScheduledHearing | None) -> None:
        """Stop the recording in progress for ``decision.stop_reason``; start ``successor`` first
        (no gap between back-to-back hearings) unless its sources cannot be opened twice."""
        active = self._state.active
        assert active is not None
        reason = decision.stop_reason or StopReason.GRACE_ENDED
        old = self._recorder
        if successor is not None:
            self._finish_hearing(active.hearing, reason)  # the state now names the successor
            started = self._start(successor, resume=None)
            if started is None and old is not None:  # e.g. a camera that opens once: stop, then start
                self._finish_recorder(old, active.hearing, reason.value, 0.0)
                old = None
                self._retry_at = 0.0
                self._start(successor, resume=None)
            elif started is not None and old is not None:
                self._await_first_segment(started)
        else:
            with self._lock:
                self._recorder = None
            self._finish_hearing(active.hearing, reason)
        if old is not None:
            self._finish_recorder(old, active.hearing, reason.value, 0.0)

    def _await_first_segment(self, recording: RecordingSession) -> None:
        """Hold the hand-over until the new recording has sealed a segment (so its pictures overlap
        the old one's: no gap), it failed, the service stops, or a bounded time passed."""
        deadline = self._clock.monotonic() + 2 * self._config.stream.segment_seconds + HANDOVER_SLACK_SECONDS
        while self._clock.monotonic() < deadline and not self._stop.is_set():
            health = recording.health()
            if health.sealed_bytes > 0 or any("failed" in p for p in health.problems.values()):
                return
            self._clock.wait(self._stop, 0.1)
        logger.warning("the next hearing's recording sealed nothing yet; the previous one stops anyway")

    def _finish_hearing(self, hearing: ScheduledHearing, reason: StopReason) -> None:
        with self._lock:
            self._state.active = None
            if reason.finishes_hearing:
                self._state.finished.append(hearing.hearing_id)
            self._save_state()
        logger.info("hearing %d: recording stops (%s)", hearing.hearing_id, reason.value)

    def _finish_recorder(
        self, recorder: RecordingSession, hearing: ScheduledHearing, reason: str, drain_seconds: float
    ) -> None:
        for watcher in self._watchers:
            watcher("stopping", recorder)
        recorder.stop(reason, drain_seconds=drain_seconds if self._store is not None else 0.0)
        summary = recorder.summary()
        with self._lock:
            self._unreported[summary.recording_id] = ReportedRecording(summary, _portal_hearing(hearing))
        self._wake_reporter()

    def _wake_reporter(self) -> None:
        if self._reporter is not None:
            self._reporter.report_now()

    def _save_state(self) -> None:
        try:
            self._state.save()
        except OSError as exc:
            logger.error("service state %s not written: %s", self._state.path, exc.strerror or exc)


def _label(hearing: ScheduledHearing) -> str:
    """The hearing's part of a recording id: ``h<portal id>``, or ``adhoc``."""
    return f"h{hearing.hearing_id}" if hearing.hearing_id > 0 else "adhoc"


def _portal_hearing(hearing: ScheduledHearing) -> int | None:
    """The portal's id of ``hearing`` (None for an ad-hoc hearing the clerk started: ids below 1)."""
    return hearing.hearing_id if hearing.hearing_id > 0 else None
