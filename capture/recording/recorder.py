"""The recorder: one recording of one room, several streams, one journal, one upload queue.

Recording never depends on the network: segments are sealed and journaled on the local spool first;
the uploader (when a store is configured) drains the queue in the background and simply keeps
trying while the store is away.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from archive.export import RecordingSummary, summarize_journal
from archive.formats import crash_point, sha256_file
from archive.journal import (
    ClerkEvent,
    JournalEvent,
    PauseEvent,
    PauseReason,
    ResumeEvent,
    StartEvent,
    StopEvent,
)
from archive.spool import RecordingSpool, Uploader, UploadQueue, UploadState
from capture.errors import RecorderError
from capture.recording.clock_watch import ClockWatch
from capture.recording.mix.mic_mix import (
    MIX_STREAM,
    MicrophoneMix,
    mix_declarations,
    mixed_microphones,
    start_mix,
)
from capture.recording.position_track import PositionTrack
from capture.recording.recorder_health import RecorderHealth, recorder_health
from capture.recording.recording_log import RecordingLog
from capture.recording.recording_plan import RecordingPlan, describe_streams, reopener, stream_names
from capture.recording.recording_setup import (
    open_recording_log,
    prepare_spool,
    read_descriptor,
    start_recording_uploader,
)
from capture.recording.stream.caption import caption_text
from capture.recording.stream.pre_event import PreEventHandover
from capture.recording.stream.stream_pipeline import StreamPipeline
from capture.recovery.recovery import RecordingHistory, recover_run, requeue_journaled
from capture.recovery.restart_clock import (
    read_boot_id,
    save_mark,
    with_fault_wall_step,
)
from capture.space.disk_full import DiskFullRecovery, MeteredEvents
from capture.space.spool_space import SpoolSpace, is_disk_full, journal_space_alarm
from devices import Source, open_source
from timebase import Clock, SystemClock

if TYPE_CHECKING:
    from archive.store import ObjectStore

__all__ = ["Recorder", "RecorderHealth", "RecordingPlan", "stream_names"]

logger = logging.getLogger(__name__)


class Recorder:
    """Start with start(), stop with stop(); pause()/resume() journal a recess with its reason.

    ``clock`` is handed to the streams and the upload queue (wall time for what is recorded,
    monotonic time for back-offs and checkpoints). ``on_checkpoint`` is called after each periodic
    checkpoint (from the checkpoint thread; it must not block)."""

    def __init__(
        self,
        plan: RecordingPlan,
        store: ObjectStore | None,
        *,
        clock: Clock | None = None,
        on_checkpoint: Callable[[], None] | None = None,
        uploads_elsewhere: bool = False,
    ) -> None:
        try:
            self._clock: Clock = with_fault_wall_step(clock or SystemClock())
        except ValueError as exc:
            raise RecorderError(str(exc)) from exc
        self._boot_id = read_boot_id()
        self._on_checkpoint = on_checkpoint
        self._uploads_elsewhere = uploads_elsewhere  # one uploader serves the spool (capture serve)
        self._plan = plan
        self._store = store
        self._names = stream_names(plan.sources)
        self.position_track = (
            None
            if plan.position is None
            else PositionTrack(plan.position, self._clock, segment_seconds=plan.stream.segment_seconds)
        )
        """The GPS track being recorded (``RecordingPlan.position``), or None; ``.latest`` is live."""
        track = self.position_track
        if track is not None and track.recorded and track.stream in self._names:
            raise RecorderError(f"stream name {track.stream!r} is taken by the GPS track; rename that source")
        self._spool = RecordingSpool(plan.spool, plan.recording_id)
        self._pipelines: list[StreamPipeline] = []
        self._mix: MicrophoneMix | None = None  # the microphones' mixed track, when there are several
        self._queue: UploadQueue | None = None
        self._uploader: Uploader | None = None
        self._log: RecordingLog | None = None
        self._checkpoint_stop = threading.Event()
        self._checkpoint_thread: threading.Thread | None = None
        self._key_b64 = ""
        self._clock_watch: ClockWatch | None = None
        self._final_counts: dict[UploadState, int] = {}
        self._disk_full: DiskFullRecovery | None = None
        self.space = SpoolSpace(plan.spool, alarm_hours=plan.disk_alarm_hours, clock=self._clock)
        """The spool's free space and its alarms (add sinks that need no disk: console, portal, live)."""

    @property
    def pipelines(self) -> list[StreamPipeline]:
        return list(self._pipelines)

    @property
    def mix(self) -> MicrophoneMix | None:
        """The microphones' mixed track being recorded (two or more microphones), else None."""
        return self._mix

    @property
    def queue(self) -> UploadQueue:
        if self._queue is None:
            raise RecorderError("the recorder has not started")
        return self._queue

    @property
    def queue_counts(self) -> dict[UploadState, int]:
        """Upload states of this recording's queue entries (readable after stop too)."""
        return dict(self._final_counts) if self._final_counts else self.queue.counts(self._plan.recording_id)

    def start(
        self,
        *,
        opened: Sequence[Source] | None = None,
        pre_event: Mapping[str, PreEventHandover] | None = None,
        opening_events: Sequence[JournalEvent] = (),
    ) -> None:
        """Open sources, recover the spool, journal the start, start every stream and the uploader.

        A body camera hands over what its standby had: ``opened`` sources (one per plan source, in
        order), ``pre_event`` buffers by stream name, and ``opening_events`` journaled right after
        the start (its activation), before any media. Raises RecorderError (sources, spool,
        journal) before anything is journaled.
        """
        if opened is not None and len(opened) != len(self._plan.sources):
            raise RecorderError(f"{len(opened)} open sources handed over for {len(self._plan.sources)} specs")
        sources = list(opened) if opened is not None else self._open_sources()
        try:
            mixed = mixed_microphones(
                self._names, [s.video is not None for s in sources], [s.audio is not None for s in sources]
            )
            if self.position_track is not None:
                self.position_track.open()
            self._prepare_spool()
            log, history = self._open_log()
        except BaseException:
            for source in sources:
                source.close()
            if self.position_track is not None:
                self.position_track.stop()  # closes its source; nothing was journaled
            raise
        self._log = log
        next_seq = self._recover(log, history)
        requeue_journaled(self._spool, log, log.journal.history)
        log.journal.append(
            StartEvent(
                device_id=self._plan.device_id,
                public_key=self._key_b64,
                court=self._plan.court,
                room=self._plan.room,
                case=self._plan.case,
                hearing=self._plan.hearing,
                run=history.runs + 1,
                reason=self._plan.opening_reason
                if history.runs == 0
                else ("resumed after a stop" if history.clean_stop else "restarted after an unclean stop"),
                object_prefix=read_descriptor(self._spool)["prefix"],
                streams=tuple(
                    declaration
                    for name, source in zip(self._names, sources, strict=True)
                    for declaration in describe_streams(name, source)
                )
                + tuple(t.declaration() for t in (self.position_track,) if t is not None and t.recorded)
                + mix_declarations(mixed),
            )
        )
        for event in opening_events:
            log.journal.append(event)
        self._clock_watch = ClockWatch(log.journal, self._clock)
        self._clock_watch.start()
        self.space.add_sink(lambda alarm: journal_space_alarm(log, alarm))
        self._start_pipelines(sources, log, next_seq, pre_event or {})
        self._mix = start_mix(
            mixed, self._pipelines, MeteredEvents(log, self.space), origins=log.origin_of,
            stream_dir=self._spool.stream_dir, next_seq=next_seq, settings=self._plan.stream,
            clock=self._clock,
        )  # fmt: skip
        if self.position_track is not None:
            track = self.position_track
            track.start(log, self._spool.stream_dir(track.stream), next_seq.get(track.stream, 1))
        self.space.start()
        self._start_uploader()
        self._checkpoint_thread = threading.Thread(target=self._checkpoints, name="checkpoints", daemon=True)
        self._checkpoint_thread.start()

    def close_left(self, reason: str) -> None:
        """Close a recording an earlier run left in progress, without recording anything more: salvage
        and journal what it left on disk (with the gap of its unclean stop), queue it for upload, and
        journal the stop with ``reason`` and a final checkpoint. Raises RecorderError (spool, journal)."""
        self._prepare_spool()
        log, history = self._open_log()
        try:
            self._recover(log, history)
            requeue_journaled(self._spool, log, log.journal.history)
            log.journal.append(StopEvent(reason=reason))
            log.journal.checkpoint()
        finally:
            log.journal.close()
            if self._queue is not None:
                self._queue.close()

    def pause(self, reason: str, *, code: PauseReason | None = None, by: str | None = None) -> None:
        """Journal a pause (2017 rules art. 3: recess, non-public evidence, mediation, other) with its
        reason in words, its ``code`` and who paused."""
        if not reason.strip():
            raise RecorderError("a pause needs a reason")
        self._require_log().journal.append(PauseEvent(reason=reason, code=code, by=by))

    def resume(self, reason: str = "hearing resumed", *, by: str | None = None) -> None:
        """Journal the end of a pause."""
        self._require_log().journal.append(ResumeEvent(reason=reason, by=by))

    def journal_clerk_event(self, event: ClerkEvent) -> None:
        """Journal what the clerk recorded: a log note, the readiness check, a sealed span's ends."""
        self._require_log().journal.append(event)

    def stop(self, reason: str = "hearing closed", *, drain_seconds: float = 0.0) -> None:
        """Stop every stream, seal the last segments, journal the stop and a final checkpoint, and
        give the uploader up to ``drain_seconds`` to empty the queue."""
        log = self._require_log()
        for pipeline in self._pipelines:
            pipeline.stop()
        if self._mix is not None:  # after the microphones: their last frames are in
            self._mix.stop()
        if self.position_track is not None:
            self.position_track.stop()
        failures = [f"{p.name}: {p.failure}" for p in (*self._pipelines, self._mix) if p and p.failure]
        if self._clock_watch is not None:
            self._clock_watch.stop()
        self._checkpoint_stop.set()
        if self._checkpoint_thread is not None:
            self._checkpoint_thread.join()
        self.space.stop()
        holes = self._disk_full.unjournaled if self._disk_full is not None else set()
        try:
            if holes:  # a clean stop would hide them: the next start journals the gap of an unclean stop
                raise OSError(
                    errno.ENOSPC, f"the full-disk gaps of {', '.join(sorted(holes))} are not journaled"
                )
            log.journal.append(StopEvent(reason=reason, failures=tuple(failures)))
            log.journal.checkpoint()
        except Exception as exc:  # the next start of this recording journals the unclean stop's gap
            if not is_disk_full(exc):
                raise
            self.space.full("journaling the stop", exc)
            logger.critical("the stop is not journaled (%s); the next start journals the gap", exc)
        if self._uploader is not None:
            self._uploader.stop(drain_seconds=drain_seconds)
        log.journal.close()
        if self._queue is not None:
            self._final_counts = self._queue.counts(self._plan.recording_id)
            self._queue.close()

    def summary(self) -> RecordingSummary:
        """What the journal says so far: streams, sealed segments, duration, whether it stopped."""
        log = self._require_log()
        return summarize_journal(
            self._plan.recording_id, read_descriptor(self._spool)["prefix"], log.journal.history
        )

    def health(self) -> RecorderHealth:
        """Each stream's problems now (its active alarm conditions from the journal: no frames,
        black, frozen, silence …; ``failed`` when its media work failed) and the bytes sealed."""
        health = recorder_health(self._require_log().journal.history, self._names, self._pipelines)
        if self._mix is not None and self._mix.failure is not None:  # the microphones' mix failed
            health.problems[MIX_STREAM] = (*health.problems.get(MIX_STREAM, ()), "failed")
        return health

    def _require_log(self) -> RecordingLog:
        if self._log is None:
            raise RecorderError("the recorder has not started")
        return self._log

    def _open_sources(self) -> list[Source]:
        opened: list[Source] = []
        try:
            for spec in self._plan.sources:
                opened.append(open_source(spec))
        except BaseException:
            for source in opened:
                source.close()
            raise
        return opened

    def _recover(self, log: RecordingLog, history: RecordingHistory) -> dict[str, int]:
        next_seq = recover_run(self._spool, log, history, self._clock, self._boot_id)
        save_mark(self._spool.root, self._clock, self._boot_id)
        return next_seq

    def _prepare_spool(self) -> None:
        prepare_spool(self._spool, self._plan, self._clock)

    def _open_log(self) -> tuple[RecordingLog, RecordingHistory]:
        opened = open_recording_log(self._spool, self._plan, self._clock, self._journal_chunk_closed)
        self._key_b64 = opened.public_key_b64
        self._queue = opened.queue
        self._log = opened.log
        return opened.log, opened.history

    def _journal_chunk_closed(self, path: Path) -> None:
        """A checkpoint closed a journal chunk: it never changes again, so queue it for upload."""
        crash_point("checkpoint.written", path.name)  # a crash here: requeue_journaled queues it
        self._require_log().enqueue(path, sha256_file(path), path.stat().st_size, delete_after_upload=False)

    def _start_pipelines(
        self,
        sources: list[Source],
        log: RecordingLog,
        next_seq: dict[str, int],
        pre_event: Mapping[str, PreEventHandover],
    ) -> None:
        on_disk_full = self._disk_full = DiskFullRecovery(self.space, log, self._spool, self._clock)
        for name, spec, source in zip(self._names, self._plan.sources, sources, strict=True):
            caption = caption_text(room=self._plan.room, room_name=self._plan.room_name, case=self._plan.case)
            settings = dataclasses.replace(self._plan.stream, caption=caption)
            pipeline = StreamPipeline(
                name,
                reopener(spec, source),
                self._spool.stream_dir,
                MeteredEvents(log, self.space),
                first_seq=next_seq,
                settings=settings,
                clock=self._clock,
                on_disk_full=on_disk_full,
                pre_event=pre_event.get(name),
            )
            pipeline.start()
            self._pipelines.append(pipeline)

    def journal_event(self, event: JournalEvent) -> None:
        """Journal an event decided outside the recorder: a body camera's deactivation (before it
        stops the recording), or an upload integrity alarm of the spool's shared uploader (when
        ``uploads_elsewhere``)."""
        self._require_log().journal.append(event)

    def _start_uploader(self) -> None:
        if self._uploads_elsewhere:
            return
        if self._store is None:
            logger.warning("no object store configured: sealed segments stay on the spool until one is")
            return
        window = self._plan.upload_mismatch_window_seconds
        self._uploader = start_recording_uploader(
            self.queue, self._store, self._require_log(), mismatch_window_seconds=window
        )

    def _checkpoints(self) -> None:
        log = self._require_log()
        requeue = False  # a full disk may have kept a closed journal chunk out of the upload queue
        while not self._clock.wait(self._checkpoint_stop, self._plan.checkpoint_seconds):
            try:
                if requeue:  # the streams may never hit the disk's limit and re-queue it themselves
                    requeue_journaled(self._spool, log, log.journal.history)
                    requeue = False
                closed = log.journal.checkpoint()
            except Exception as exc:  # a full disk skips this checkpoint; the next one covers it
                if not is_disk_full(exc):
                    raise
                requeue = True
                self.space.full("journal checkpoint", exc)
                continue
            save_mark(self._spool.root, self._clock, self._boot_id)
            if closed is not None and self._on_checkpoint is not None:
                self._on_checkpoint()  # e.g. report the new head to the portal (it returns at once)
