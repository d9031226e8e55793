"""The body camera agent: standby with a pre-event buffer, a recording per activation, back to standby.

One thread (the caller's, in :meth:`BodycamAgent.run`) acts on the activation requests in order.
On standby every source is open and its pictures are encoded into the in-memory pre-event ring
(:mod:`capture.bodycam.standby`); an activation starts a new recording (a new recording id each
time) whose journal opens with the ``activate`` event and whose first segments are the buffer,
flagged ``pre_event``; a deactivation journals ``deactivate``, stops that recording and goes back
to standby. The officer has no command that deletes or edits anything: sealed segments stay
sealed in the spool until the archive confirms them.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from archive import ArchiveError
from archive.journal import ActivateEvent, AlarmEvent, DeactivateEvent
from archive.spool import UploadState
from archive.spool.uploader import DEFAULT_MISMATCH_WINDOW_SECONDS
from capture.bodycam.activation import Action, ActivationInbox, ActivationRequest, Outcome
from capture.bodycam.continuing_source import ContinuingSource
from capture.bodycam.left_recordings import left_in_progress
from capture.bodycam.standby import StandbyEncoder
from capture.errors import CaptureError
from capture.recording.recorder import Recorder, RecordingPlan, stream_names
from capture.recording.stream.caption import caption_text
from capture.recording.stream.pre_event import PreEventHandover
from capture.recording.stream.stream_pipeline import StreamSettings
from devices import DevicesError, PositionFix, PositionSpec, Source, SourceSpec, open_source
from timebase import Clock, SystemClock

logger = logging.getLogger(__name__)


class Stoppable(Protocol):
    def is_set(self) -> bool: ...


LiveStarter = Callable[[Recorder], Callable[[], None]]
"""Starts publishing a recording live; returns the function that stops it."""


class BodycamState(StrEnum):
    """What the agent reports (the heartbeat's ``recording``)."""

    STANDBY = "standby"
    RECORDING = "recording"
    FAULT = "fault"


@dataclass(frozen=True, slots=True)
class BodycamConfig:
    """Everything the agent needs; ``pre_event_seconds`` 0 keeps no buffer."""

    device_id: str
    court: str
    unit: str
    spool: Path
    sources: Sequence[SourceSpec]
    pre_event_seconds: float = 30.0
    pre_event_audio: bool = False
    case: str | None = None
    stream: StreamSettings = field(default_factory=StreamSettings)
    checkpoint_seconds: float = 60.0
    key_path: Path | None = None
    disk_alarm_hours: float = 2.0
    drain_seconds: float = 0.0
    upload_mismatch_window_seconds: float = DEFAULT_MISMATCH_WINDOW_SECONDS
    position: PositionSpec | None = None  # --gps: recorded as each recording's ``gps`` stream

    def __post_init__(self) -> None:
        if not 0 <= self.pre_event_seconds <= 120:
            raise CaptureError(
                f"--pre-event-seconds must be between 0 and 120 (got {self.pre_event_seconds:g})"
            )
        stream_names(self.sources)


class BodycamAgent:
    """Run with :meth:`run` (blocks until ``stop`` is set); feed it requests through ``inbox``."""

    def __init__(
        self,
        config: BodycamConfig,
        make_recorder: Callable[[RecordingPlan], Recorder],
        *,
        clock: Clock | None = None,
        live: LiveStarter | None = None,
    ) -> None:
        self._config = config
        self._names = stream_names(config.sources)
        self._make_recorder = make_recorder
        self._clock: Clock = clock or SystemClock()
        self._live = live
        self.inbox = ActivationInbox()
        self._lock = threading.Lock()
        self._sources: list[ContinuingSource] | None = None
        self._standby: dict[str, StandbyEncoder] = {}
        self._recorder: Recorder | None = None
        self._recording_id: str | None = None
        self._stop_live: Callable[[], None] | None = None
        self._fault = ""
        self.on_change: Callable[[], None] = lambda: None
        """Called (from the agent's thread) after each change of state, e.g. to send a heartbeat."""

    @property
    def device_id(self) -> str:
        return self._config.device_id

    @property
    def pre_event_seconds(self) -> float:
        return self._config.pre_event_seconds

    @property
    def state(self) -> BodycamState:
        with self._lock:
            if self._recorder is not None:
                return BodycamState.RECORDING
            return BodycamState.FAULT if self._fault else BodycamState.STANDBY

    @property
    def recording_id(self) -> str | None:
        with self._lock:
            return self._recording_id

    @property
    def fault(self) -> str:
        with self._lock:
            return self._fault

    def journal(self, event: AlarmEvent) -> None:
        """Journal ``event`` in the recording in progress (an alarm of the spool's uploader); on
        standby it is only logged (there is no recording to hold it)."""
        with self._lock:
            recorder = self._recorder
        if recorder is None:
            logger.critical("alarm on standby: %s", event)
            return
        recorder.journal_event(event)

    def run(self, stop: Stoppable) -> None:
        """Standby, then act on requests until ``stop`` is set; a recording in progress is then
        stopped (its journal says the agent stopped) and the buffer dropped."""
        self._close_left_recordings()
        self._enter_standby()
        try:
            while not stop.is_set():
                request = self.inbox.get(timeout=0.25)
                if request is not None:
                    request.reply(self._act(request))
        finally:
            with self._lock:
                recorder = self._recorder
            if recorder is not None:
                self._finish(recorder, "the body camera agent was stopped")
            self._leave_standby()
            while (left := self.inbox.get(timeout=0)) is not None:
                left.reply(Outcome(False, "the body camera agent is stopping"))

    def _close_left_recordings(self) -> None:
        """Close what an earlier run left in progress (never resumed: each activation is new)."""
        for recording_id in left_in_progress(self._config.spool):
            logger.warning("closing recording %s, left in progress by an earlier run", recording_id)
            try:
                self._make_recorder(self._plan(recording_id, "")).close_left(
                    "closed at the next start of the body camera agent (it had stopped uncleanly)"
                )
            except (CaptureError, ArchiveError) as exc:
                logger.error("recording %s could not be closed: %s", recording_id, exc)
                with self._lock:
                    self._fault = (
                        f"recording {recording_id} left by an earlier run could not be closed: {exc}"
                    )

    def _act(self, request: ActivationRequest) -> Outcome:
        try:
            if request.action == Action.ACTIVATE:
                return self._activate(request)
            if request.action == Action.DEACTIVATE:
                return self._deactivate(request)
            return self._live_switch(request.action == Action.GO_LIVE)
        finally:
            self.on_change()

    def _activate(self, request: ActivationRequest) -> Outcome:
        with self._lock:
            if self._recorder is not None:
                return Outcome(True, f"already recording {self._recording_id}")
        activated_at = self._clock.now()
        recording_id = f"{activated_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
        handovers = {
            name: handover
            for name, standby in self._standby.items()
            if (handover := standby.handover(activated_at)) is not None
        }
        stuck = any(standby.stuck for standby in self._standby.values())
        self._standby = {}
        sources, self._sources = self._sources, None
        if stuck:  # a source was closed to wake its standby: the recording opens every source afresh
            self._close(sources)
            sources, handovers = None, {}
        plan = self._plan(recording_id, f"body camera activated ({request.trigger})")
        event = ActivateEvent(
            trigger=request.trigger,
            by=request.by,
            pre_event_seconds=self._config.pre_event_seconds if handovers else None,
        )
        recorder = self._make_recorder(plan)
        try:
            recorder.start(opened=sources, pre_event=handovers, opening_events=(event,))
        except (CaptureError, DevicesError, ArchiveError) as exc:
            logger.error("activation failed: %s", exc)
            self._close(sources)
            with self._lock:
                self._fault = f"activation failed: {exc}"
            self._enter_standby()
            return Outcome(False, f"activation failed: {exc}")
        with self._lock:
            self._recorder, self._recording_id, self._fault = recorder, recording_id, ""
        buffered = ", ".join(f"{n} {_span(h)}" for n, h in handovers.items()) or "no pre-event buffer"
        logger.info(
            "activated by %s (%s): recording %s (%s)", request.trigger, request.by, recording_id, buffered
        )
        print(f"recording {recording_id} started ({request.trigger}); {buffered}", flush=True)
        if self._live is not None:
            self._stop_live = self._live(recorder)
        return Outcome(True, f"recording {recording_id}")

    def _plan(self, recording_id: str, opening_reason: str) -> RecordingPlan:
        config = self._config
        return RecordingPlan(
            recording_id=recording_id,
            court=config.court,
            room=config.unit,
            device_id=config.device_id,
            spool=config.spool,
            sources=config.sources,
            case=config.case,
            checkpoint_seconds=config.checkpoint_seconds,
            key_path=config.key_path,
            disk_alarm_hours=config.disk_alarm_hours,
            upload_mismatch_window_seconds=config.upload_mismatch_window_seconds,
            stream=config.stream,
            opening_reason=opening_reason or "body camera activated",
            position=config.position,
        )

    def _deactivate(self, request: ActivationRequest) -> Outcome:
        with self._lock:
            recorder, recording_id = self._recorder, self._recording_id
        if recorder is None:
            return Outcome(True, "not recording (standby)")
        recorder.journal_event(DeactivateEvent(trigger=request.trigger, by=request.by))
        self._finish(recorder, f"deactivated ({request.trigger})")
        self._enter_standby()
        return Outcome(True, f"recording {recording_id} stopped")

    def _live_switch(self, on: bool) -> Outcome:
        with self._lock:
            recorder = self._recorder
        if self._live is None:
            return Outcome(False, "no live URL is configured on this device (--live)")
        if recorder is None:
            return Outcome(False, "not recording: activate first")
        if on and self._stop_live is None:
            self._stop_live = self._live(recorder)
        elif not on and self._stop_live is not None:
            self._stop_live()
            self._stop_live = None
        return Outcome(True, "live" if on else "not live")

    def _finish(self, recorder: Recorder, reason: str) -> None:
        if self._stop_live is not None:
            self._stop_live()
            self._stop_live = None
        recorder.stop(reason, drain_seconds=self._config.drain_seconds)
        counts = recorder.queue_counts
        with self._lock:
            self._recorder = None
            self._recording_id = None
        print(
            f"recording stopped: {reason}; uploads: {', '.join(f'{k}={v}' for k, v in counts.items())}",
            flush=True,
        )
        if counts[UploadState.CONFLICT] or counts[UploadState.CORRUPT]:
            with self._lock:
                self._fault = "upload integrity alarm: see the journal"

    def _enter_standby(self) -> None:
        """Open the sources and start buffering (nothing at all with a 0 s buffer: the sources are
        then opened at activation)."""
        if self._config.pre_event_seconds == 0:
            return
        opened: list[Source] = []
        try:
            for spec in self._config.sources:
                opened.append(open_source(spec))
        except DevicesError as exc:
            for source in opened:
                source.close()
            with self._lock:
                self._fault = f"sources could not be opened on standby: {exc}"
            logger.error("%s; an activation will try again", self._fault)
            return
        self._sources = [ContinuingSource(source) for source in opened]
        for name, source in zip(self._names, self._sources, strict=True):
            if source.video is None:
                continue
            caption = caption_text(
                room=self._config.unit, room_name=None, case=self._config.case
            )  # as recorded
            settings = replace(self._config.stream, caption=caption)
            standby = StandbyEncoder(
                name,
                source,
                settings,
                seconds=self._config.pre_event_seconds,
                keep_audio=self._config.pre_event_audio,
                clock=self._clock,
            )
            standby.start()
            self._standby[name] = standby

    def _leave_standby(self) -> None:
        for standby in self._standby.values():
            standby.discard()
        self._standby = {}
        self._close(self._sources)
        self._sources = None

    @staticmethod
    def _close(sources: Sequence[Source] | None) -> None:
        for source in sources or ():
            source.close()

    def position(self) -> PositionFix | None:
        """The latest GPS fix of the recording in progress (None on standby or without --gps)."""
        with self._lock:
            recorder = self._recorder
        track = None if recorder is None else recorder.position_track
        return None if track is None else track.latest

    def standby_seconds(self) -> float:
        """Seconds of pictures the standby has encoded so far (the longest stream's)."""
        return max((standby.encoded_seconds for standby in list(self._standby.values())), default=0.0)

    def standby_bytes(self) -> int:
        """Bytes held in the pre-event buffers now (memory only)."""
        return sum(standby.buffered_bytes for standby in list(self._standby.values()))


def _span(handover: PreEventHandover) -> str:
    return f"{handover.activated_seconds:.1f} s before activation"
