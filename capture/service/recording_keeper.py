"""Starting, handing over and stopping the room's recordings, one per hearing.

The recording in progress is written to the service state before it starts, so a restart (a kill
-9 included) resumes the same recording, its gap journaled by the recorder. A new hearing is started
before the previous one is stopped (once the new one has sealed its first segment), so back-to-back
hearings leave no gap between their recordings. What to record when is the planner's to say
(:mod:`capture.service.courtroom_service` asks it); this module only carries it out.

The clerk's open pause and sealed span are kept with the recording in the service state: a kill -9
leaves them open in the journal and the restarted service goes on with them. Whenever a recording
stops while one is open, its end (resume, seal_end) is journaled first, by :data:`BY_SYSTEM` with
the stop's reason, so every span is closed in the journal; when the stop was the service's own (the
recording stays in progress), the restart journals them open again.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from archive import ArchiveError
from archive.journal import SealBeginEvent, SealEndEvent
from archive.journal.clerk_events import BY_SYSTEM
from capture.errors import CaptureError
from capture.recording.recorder import RecordingPlan
from capture.service.clerk_marks import ClerkMarks, RecordingMarks
from capture.service.recording_session import RecorderFactory, RecordingSession, RecordingWatcher
from capture.service.room_state import ClosedHearing, ReportedRecording, RoomStatus
from capture.service.schedule.planner import Decision, StopReason
from capture.service.schedule.schedule import ScheduledHearing
from capture.service.service_config import ServiceConfig
from capture.service.service_state import ActiveRecording, ServiceState
from devices import DevicesError
from timebase import Clock

logger = logging.getLogger(__name__)

HANDOVER_SLACK_SECONDS = 10.0  # beyond two segments, how long a hand-over waits for the next recording
START_RETRY_SECONDS = 5.0  # after a recording failed to start (a source missing), try again this soon


@dataclass(frozen=True, slots=True)
class KeeperView:
    """What the keeper holds at one moment, for a state report."""

    active: ActiveRecording | None
    recorder: RecordingSession | None
    fault: str
    unreported: tuple[ReportedRecording, ...]
    closed: tuple[ClosedHearing, ...]


class RecordingKeeper:
    """The recording in progress and its recorder; every method but :meth:`view`, :meth:`current`
    and :meth:`delivered` runs in the service's thread."""

    def __init__(
        self,
        config: ServiceConfig,
        state: ServiceState,
        *,
        clock: Clock,
        make_recorder: RecorderFactory,
        watchers: Sequence[RecordingWatcher],
        uploads: bool,
        stopping: threading.Event,
        changed: Callable[[], None],
    ) -> None:
        self._config = config
        self._state = state
        self._clock = clock
        self._make_recorder = make_recorder
        self._watchers = tuple(watchers)
        self._uploads = uploads
        self._stopping = stopping
        self._changed = changed  # a recording started or stopped: report soon
        self._lock = threading.RLock()
        self._recorder: RecordingSession | None = None
        self._fault = ""
        self._retry_at = 0.0
        self._unreported: dict[str, ReportedRecording] = {}
        self._closed: dict[int, ClosedHearing] = {}  # closed at the console; until the portal took it
        left = state.active
        spans = left is not None and (left.pause is not None or left.seal is not None)
        self._reopen = left.marks if left is not None and spans and left.spans_closed else None
        restored = left.marks if left is not None and not left.spans_closed else None
        if restored is None and left is not None and left.readiness is not None:  # spans reopened later
            restored = RecordingMarks(left.recording_id, readiness=left.readiness)
        self.marks = ClerkMarks(restored, persist=self._persist_marks)
        """The clerk's open marks in the recording in progress (pause, sealed span, readiness)."""

    @property
    def active(self) -> ActiveRecording | None:
        return self._state.active

    @property
    def finished(self) -> frozenset[int]:
        return frozenset(self._state.finished)

    def view(self) -> KeeperView:
        with self._lock:
            return KeeperView(
                self._state.active,
                self._recorder,
                self._fault,
                tuple(self._unreported.values()),
                tuple(self._closed.values()),
            )

    def current(self) -> tuple[ActiveRecording | None, RecordingSession | None]:
        """The hearing being recorded and its recording (None, None when idle)."""
        with self._lock:
            return self._state.active, self._recorder

    def delivered(self, status: RoomStatus) -> None:
        """The portal took ``status``: its recordings and closed hearings need not be sent again."""
        with self._lock:
            for sent in status.recordings:
                if self._unreported.get(sent.summary.recording_id) == sent:
                    del self._unreported[sent.summary.recording_id]
            for closed in status.closed:
                self._closed.pop(closed.hearing_id, None)

    def keep(self, hearing: ScheduledHearing) -> None:
        """Go on recording the active ``hearing`` (its times or status may be new from the portal);
        start its recorder again if it could not be started so far."""
        active = self._state.active
        assert active is not None and active.hearing.hearing_id == hearing.hearing_id
        if hearing != active.hearing:
            active.hearing = hearing
            self._save_state()
        if self._recorder is None:
            self.start(hearing, resume=active.recording_id)

    def start_ad_hoc(self, hearing: ScheduledHearing) -> str | None:
        """Record ``hearing`` (the clerk's, not the schedule's) now; its recording id, or None when it
        cannot start (the fault is in the status). Raises CaptureError while recording."""
        if self._state.active is not None:
            raise CaptureError("a recording is in progress")
        self._retry_at = 0.0
        recorder = self.start(hearing, resume=None)
        active = self._state.active
        return active.recording_id if recorder is not None and active is not None else None

    def close_active(self, reason: str, *, by: str) -> None:
        """End the recording in progress for the clerk's close by ``by`` (journaled with ``reason``);
        the hearing is finished for this service, and reported closed to the portal."""
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

    def resume_left(self, decision: Decision) -> None:
        """The recording left in progress by the last run: resume it if ``decision`` still records its
        hearing, else close it (resumed and stopped at once, so its journal ends with the reason)."""
        active = self._state.active
        if active is None:
            return
        if decision.record is not None and decision.record.hearing_id == active.hearing.hearing_id:
            logger.info("resuming recording %s of hearing %d", active.recording_id, active.hearing.hearing_id)
            self.start(decision.record, resume=active.recording_id)
            return
        reason = decision.stop_reason or StopReason.GRACE_ENDED
        logger.info("closing recording %s left by the last run: %s", active.recording_id, reason.value)
        recorder = self._open_recorder(active.hearing, active.recording_id)
        if recorder is not None:
            self._finish_recorder(recorder, active.hearing, f"closed after a restart: {reason.value}", 0.0)
        self._finish_hearing(active.hearing, reason)

    def shut_down(self, reason: str, drain_seconds: float) -> None:
        """Stop the recorder for the service's end; the recording stays in progress in the state (a
        restart resumes it)."""
        with self._lock:
            active, recorder, self._recorder = self._state.active, self._recorder, None
        if recorder is not None and active is not None:
            self._finish_recorder(recorder, active.hearing, reason, drain_seconds, kept=active)

    def start(self, hearing: ScheduledHearing, *, resume: str | None) -> RecordingSession | None:
        """Start recording ``hearing`` (as recording ``resume`` when given); None when its recorder
        cannot start (the fault is kept, and no new try before the retry time)."""
        if self._clock.monotonic() < self._retry_at:
            return None
        recording_id = (
            resume or f"{self._clock.now():%Y%m%dT%H%M%SZ}-{_label(hearing)}-{uuid.uuid4().hex[:6]}"
        )
        with self._lock:
            left = self._state.active
            if resume is not None and left is not None and left.recording_id == resume:
                self._state.active = dataclasses.replace(left, hearing=hearing)  # its open spans too
            else:
                self._state.active = ActiveRecording(hearing, recording_id)
            self._save_state()  # before the first byte: a crash from here on resumes this recording
        recorder = self._open_recorder(hearing, recording_id)
        with self._lock:
            self._recorder = recorder
        if recorder is not None:
            self._reopen_spans(recorder, recording_id)
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
            self._changed()
        return recorder

    def end(self, decision: Decision, *, successor: ScheduledHearing | None) -> None:
        """Stop the recording in progress for ``decision.stop_reason``; start ``successor`` first
        (no gap between back-to-back hearings) unless its sources cannot be opened twice."""
        active = self._state.active
        assert active is not None
        reason = decision.stop_reason or StopReason.GRACE_ENDED
        old = self._recorder
        if successor is not None:
            self._finish_hearing(active.hearing, reason)  # the state now names the successor
            started = self.start(successor, resume=None)
            if started is None and old is not None:  # e.g. a camera that opens once: stop, then start
                self._finish_recorder(old, active.hearing, reason.value, 0.0)
                old = None
                self._retry_at = 0.0
                self.start(successor, resume=None)
            elif started is not None and old is not None:
                self._await_first_segment(started)
        else:
            with self._lock:
                self._recorder = None
            self._finish_hearing(active.hearing, reason)
        if old is not None:
            self._finish_recorder(old, active.hearing, reason.value, 0.0)

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

    def _await_first_segment(self, recording: RecordingSession) -> None:
        """Hold the hand-over until the new recording has sealed a segment (so its pictures overlap
        the old one's: no gap), it failed, the service stops, or a bounded time passed."""
        deadline = self._clock.monotonic() + 2 * self._config.stream.segment_seconds + HANDOVER_SLACK_SECONDS
        while self._clock.monotonic() < deadline and not self._stopping.is_set():
            health = recording.health()
            if health.sealed_bytes > 0 or any("failed" in p for p in health.problems.values()):
                return
            self._clock.wait(self._stopping, 0.1)
        logger.warning("the next hearing's recording sealed nothing yet; the previous one stops anyway")

    def _finish_hearing(self, hearing: ScheduledHearing, reason: StopReason) -> None:
        with self._lock:
            self._state.active = None
            if reason.finishes_hearing:
                self._state.finished.append(hearing.hearing_id)
            self._save_state()
        logger.info("hearing %d: recording stops (%s)", hearing.hearing_id, reason.value)

    def _finish_recorder(
        self,
        recorder: RecordingSession,
        hearing: ScheduledHearing,
        reason: str,
        drain_seconds: float,
        *,
        kept: ActiveRecording | None = None,
    ) -> None:
        """Stop ``recorder`` for ``reason``, journaling first the end of any span still open in it;
        ``kept``: the recording stays in progress (the service stops), its spans to reopen."""
        for watcher in self._watchers:
            watcher("stopping", recorder)
        self._close_spans(recorder, reason, kept)
        recorder.stop(reason, drain_seconds=drain_seconds if self._uploads else 0.0)
        summary = recorder.summary()
        with self._lock:
            self._unreported[summary.recording_id] = ReportedRecording(summary, _portal_hearing(hearing))
        self._changed()

    def _close_spans(self, recorder: RecordingSession, reason: str, kept: ActiveRecording | None) -> None:
        recording_id = recorder.summary().recording_id
        marks = self.marks.close(recording_id)
        if marks.pause is None and marks.seal is None:
            return
        if kept is not None and kept.recording_id == recording_id:
            with self._lock:  # written before the ends: a restart then reopens them rather than lose them
                kept.spans_closed = True
                self._save_state()
        try:
            if marks.pause is not None:
                recorder.resume(f"the recording stops while paused: {reason}", by=BY_SYSTEM)
            if marks.seal is not None:
                ended = SealEndEvent(BY_SYSTEM, reason=f"the recording stops while sealed: {reason}")
                recorder.journal_clerk_event(ended)
        except (CaptureError, ArchiveError, OSError) as exc:  # the stop is journaled all the same
            logger.error("recording %s: the open pause or sealed span not ended: %s", recording_id, exc)

    def _reopen_spans(self, recorder: RecordingSession, recording_id: str) -> None:
        """After the service's own stop closed the clerk's open spans in the journal: open them again."""
        reopen, self._reopen = self._reopen, None
        if reopen is None or reopen.recording_id != recording_id:
            return
        try:
            if reopen.pause is not None:
                again = f"{reopen.pause.reason}（录像服务重启后继续暂停）"
                recorder.pause(again, code=reopen.pause.code, by=BY_SYSTEM)
            if reopen.seal is not None:
                recorder.journal_clerk_event(
                    SealBeginEvent(f"{reopen.seal.reason}（录像服务重启后继续封存）", BY_SYSTEM)
                )
        except (CaptureError, ArchiveError, OSError) as exc:
            logger.error("recording %s: the pause or sealed span not reopened: %s", recording_id, exc)
        self.marks.set(recording_id, pause=reopen.pause, seal=reopen.seal)  # saved: open again

    def _persist_marks(self, marks: RecordingMarks) -> None:
        """The clerk's pause, seal or readiness check changed: keep it with the recording in the service
        state, and report the room's state at once (the portal cuts the public broadcast while sealed)."""
        with self._lock:
            active = self._state.active
            if active is None or active.recording_id != marks.recording_id:
                return
            active.readiness = marks.readiness
            if not (active.spans_closed and self._reopen is not None):  # else kept as saved, to reopen
                active.pause, active.seal, active.spans_closed = marks.pause, marks.seal, False
            self._save_state()
        self._changed()

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
