"""The courtroom recorder service: records each hearing of the room's schedule by itself.

A loop looks at the schedule in force every ``tick`` seconds, asks the :class:`Planner` what to
record, and has the :class:`~capture.service.recording_keeper.RecordingKeeper` start, switch or stop
the recording accordingly: one recording per hearing (its id, case number and courtroom in the
journal's start event). The clerk's console acts through :meth:`CourtroomService.call`, which runs
its commands in the loop's thread between two looks at the schedule. The service reports the room's
state to the portal every few seconds and uploads the spool's sealed segments.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING

from archive.journal import AlarmEvent
from archive.spool import Uploader, UploadItem, UploadQueue, queue_path
from capture.recording.recorder import Recorder, stream_names
from capture.service.portal_client import AgentPortalClient
from capture.service.recording_keeper import START_RETRY_SECONDS, RecordingKeeper
from capture.service.recording_session import RecorderFactory, RecordingSession, RecordingWatcher
from capture.service.room_state import HeadroomGauge, RecorderState, RoomStatus, SourceHealth
from capture.service.schedule.planner import Decision
from capture.service.schedule.schedule import ScheduledHearing
from capture.service.schedule.schedule_cache import ScheduleCache
from capture.service.schedule.schedule_refresher import ScheduleRefresher
from capture.service.service_config import ServiceConfig
from capture.service.service_state import ActiveRecording, ServiceState
from capture.service.state_reporter import StateReporter
from timebase import Clock, SystemClock

if TYPE_CHECKING:
    from archive.store import ObjectStore

__all__ = ["START_RETRY_SECONDS", "CourtroomService", "ServiceConfig"]

logger = logging.getLogger(__name__)


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
        self._stop = threading.Event()
        self._keeper = RecordingKeeper(
            config,
            ServiceState.load(config.spool),
            clock=self._clock,
            make_recorder=make_recorder
            or (lambda plan: Recorder(plan, store, clock=clock, uploads_elsewhere=True)),
            watchers=watchers,
            uploads=store is not None,
            stopping=self._stop,
            changed=self._wake_reporter,
        )
        self._integrity = ""
        self._integrity_lock = threading.Lock()
        self._gauge = HeadroomGauge(config.spool, len(config.sources))
        self._queue = UploadQueue(queue_path(config.spool), clock=self._clock)
        # one uploader for the spool, for the service's whole life: it drains between hearings too, and
        # two recordings overlapping at a hand-over never race for the same queue entries
        self._uploader = (
            None if store is None else Uploader(self._queue, store, on_integrity_alarm=self._integrity_alarm)
        )
        self._thread = threading.Thread(target=self._run, name="courtroom-service", daemon=True)
        self._commands: queue.SimpleQueue[tuple[Callable[[], object], Future[object]]] = queue.SimpleQueue()
        self.marks = self._keeper.marks
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
            self._keeper.shut_down("recorder service stopped", self._config.drain_seconds)

    def _decide(self) -> Decision:
        schedule = self._schedule.schedule
        active = self._keeper.active
        return self._config.planner.decide(
            schedule.hearings if schedule else (),
            self._clock.now(),
            current=active.hearing if active else None,
            finished=self._keeper.finished,
        )

    def step(self) -> None:
        """Look at the schedule once and start, switch or stop the recording accordingly."""
        active = self._keeper.active
        decision = self._decide()
        target = decision.record
        if active is not None and target is not None and target.hearing_id == active.hearing.hearing_id:
            self._keeper.keep(target)
        elif active is not None:
            self._keeper.end(decision, successor=target)
        elif target is not None:
            self._keeper.start(target, resume=None)

    def resume_left_recording(self) -> None:
        """A recording left in progress by the last run: resume it if its hearing is still due, else
        close it (resumed and stopped at once, so its journal ends with the reason)."""
        if self._keeper.active is not None:
            self._keeper.resume_left(self._decide())

    def status(self) -> RoomStatus:
        """The room's state now (for the portal)."""
        held = self._keeper.view()
        active, recorder = held.active, held.recorder
        schedule = self._schedule.schedule
        with self._integrity_lock:
            integrity = self._integrity
        base = RoomStatus(
            court=self._config.court,
            room=self._config.room,
            device_id=self._config.device_id,
            state=RecorderState.FAULT if held.fault else RecorderState.IDLE,
            agent_time=self._clock.now(),
            hearing_id=active.hearing.hearing_id if active and active.hearing.hearing_id > 0 else None,
            detail=held.fault or integrity,
            sources=(),  # known only while recording (the recorder opens the sources)
            upload_backlog=self._queue.pending_count(),
            schedule_fetched_at=schedule.fetched_at if schedule else None,
            recordings=held.unreported,
            closed=held.closed,
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
            sealed=marks.seal is not None,
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
        return self._keeper.current()

    def upcoming(self) -> list[ScheduledHearing]:
        """The schedule's hearings not finished yet, by start (for the console)."""
        schedule = self._schedule.schedule
        finished = self._keeper.finished
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
        return self._keeper.start_ad_hoc(hearing)

    def close_active(self, reason: str, *, by: str) -> None:
        """End the recording in progress for the clerk's close by ``by`` (journaled with ``reason``);
        the hearing is finished for this service, and reported closed to the portal. Call in the
        service's thread."""
        self._keeper.close_active(reason, by=by)

    def _integrity_alarm(self, item: UploadItem, message: str) -> None:
        """An upload integrity alarm (the uploader has logged it): journaled in the recording in
        progress, as the recorder's own uploader would, and shown in the state reports."""
        with self._integrity_lock:
            self._integrity = f"上传完整性告警：{item.object_key}：{message}"
        _, recorder = self._keeper.current()
        if recorder is not None:
            event = AlarmEvent(condition="integrity", active=True, object=item.object_key, detail=message)
            recorder.journal_event(event)

    def _delivered(self, status: RoomStatus) -> None:
        self._keeper.delivered(status)

    def _wake_reporter(self) -> None:
        if self._reporter is not None:
            self._reporter.report_now()
