"""The recorder: one recording of one room, several streams, one journal, one upload queue.

Recording never depends on the network: segments are sealed and journaled on the local spool first;
the uploader (when a store is configured) drains the queue in the background and simply keeps
trying while the store is away.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from archive import ArchiveError
from archive.export import RecordingSummary, summarize_journal
from archive.formats import (
    check_identifier,
    check_source_name,
    crash_point,
    durable_temporary,
    finish_interrupted_link,
    sha256_bytes,
    sha256_file,
    track_streams,
    write_file_durably,
)
from archive.journal import (
    CMAF_TRACK_FILE,
    AlarmEvent,
    AudioDeclaration,
    ClerkEvent,
    EventType,
    JournalEvent,
    JournalWriter,
    PauseEvent,
    PauseReason,
    ResumeEvent,
    SegmentEvent,
    StartEvent,
    StopEvent,
    StreamDeclaration,
    VideoDeclaration,
    load_or_create_device_key,
    parse_event,
)
from archive.spool import (
    RecordingSpool,
    Uploader,
    UploadItem,
    UploadQueue,
    UploadState,
    device_key_path,
    locator_body,
    locator_key,
    queue_path,
    recording_prefix,
)
from archive.spool.uploader import DEFAULT_MISMATCH_WINDOW_SECONDS
from archive.store import ObjectStore
from capture.errors import RecorderError
from capture.recording.caption import caption_text
from capture.recording.clock_watch import ClockWatch
from capture.recording.mic_mix import (
    MIX_STREAM,
    MicrophoneMix,
    mix_declarations,
    mixed_microphones,
    start_mix,
)
from capture.recording.position_track import PositionTrack
from capture.recording.pre_event import PreEventHandover
from capture.recording.recording_log import RecordingLog
from capture.recording.stream_pipeline import StreamPipeline, StreamSettings
from capture.recovery.recovery import RecordingHistory, recover_streams, requeue_journaled
from capture.space.disk_full import DiskFullRecovery, MeteredEvents
from capture.space.spool_space import SpoolSpace, is_disk_full, journal_space_alarm
from devices import PositionSpec, Source, SourceSpec, open_source
from timebase import Clock, SystemClock

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RecordingPlan:
    """Everything a recording needs to start."""

    recording_id: str
    court: str
    room: str
    device_id: str
    spool: Path
    sources: Sequence[SourceSpec]
    case: str | None = None
    hearing: str | None = None  # the portal's hearing id, when the courtroom service records by schedule
    room_name: str | None = None  # the courtroom's name people read (the caption), e.g. 第一法庭
    checkpoint_seconds: float = 60.0
    key_path: Path | None = None
    stream: StreamSettings = field(default_factory=StreamSettings)
    upload_mismatch_window_seconds: float = DEFAULT_MISMATCH_WINDOW_SECONDS
    disk_alarm_hours: float = 2.0  # the disk_low alarm: less than this much recording left on the spool
    opening_reason: str = "hearing opened"  # the first start's reason (a body camera: its activation)
    position: PositionSpec | None = None  # --gps: the track is recorded as the stream ``gps``

    def __post_init__(self) -> None:
        try:
            check_identifier(self.recording_id, what="recording id")
            check_identifier(self.court, what="court")
            check_identifier(self.device_id, what="device id")
        except ArchiveError as exc:
            raise RecorderError(str(exc)) from exc
        if not self.sources:
            raise RecorderError("at least one --source is needed")
        if not self.disk_alarm_hours > 0:
            raise RecorderError(f"--disk-alarm-hours must be more than 0 (got {self.disk_alarm_hours})")


@dataclass(frozen=True, slots=True)
class RecorderHealth:
    """A recording's health now: each stream's active problems, and the bytes sealed so far."""

    problems: dict[str, tuple[str, ...]]
    sealed_bytes: int


def stream_names(sources: Sequence[SourceSpec]) -> list[str]:
    """Each source's name: its ``name=`` option, else ``<kind>-<n>``; names must be unique. A source's
    streams are named after it (its sound is ``<name>.audio`` when it also has pictures)."""
    names = [spec.name or f"{spec.kind}-{index}" for index, spec in enumerate(sources, start=1)]
    if len(set(names)) != len(names):
        raise RecorderError(f"stream names must be unique (got {', '.join(names)}); set name= on each source")
    for name in names:
        try:
            check_source_name(name)
        except ArchiveError as exc:
            raise RecorderError(str(exc)) from exc
    return names


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
        self._clock: Clock = clock or SystemClock()
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
        now = self._clock.now()
        next_seq = recover_streams(self._spool, log, history, now)
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
                object_prefix=self._descriptor()["prefix"],
                streams=tuple(
                    declaration
                    for name, source in zip(self._names, sources, strict=True)
                    for declaration in _describe(name, source)
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
            recover_streams(self._spool, log, history, self._clock.now())
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
        return summarize_journal(self._plan.recording_id, self._descriptor()["prefix"], log.journal.history)

    def health(self) -> RecorderHealth:
        """Each stream's problems now (its active alarm conditions from the journal: no frames,
        black, frozen, silence …; ``failed`` when its media work failed) and the bytes sealed."""
        active: dict[str, set[str]] = {name: set() for name in self._names}
        sealed = 0
        for line in self._require_log().journal.history:
            if line.type not in {EventType.ALARM, EventType.SEGMENT}:
                continue
            event = parse_event(line)
            if isinstance(event, SegmentEvent):
                sealed += event.size
            elif isinstance(event, AlarmEvent) and event.stream in active:
                (active[event.stream].add if event.active else active[event.stream].discard)(event.condition)
        for pipeline in self._pipelines:
            if pipeline.failure is not None:
                active.setdefault(pipeline.name, set()).add("failed")
        if self._mix is not None and self._mix.failure is not None:
            active.setdefault(MIX_STREAM, set()).add("failed")
        problems = {name: tuple(sorted(conditions)) for name, conditions in active.items()}
        return RecorderHealth(problems=problems, sealed_bytes=sealed)

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

    def _prepare_spool(self) -> None:
        try:
            self._spool.journal_dir.mkdir(parents=True, exist_ok=True)
            probe = self._spool.root / f".write-test-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise RecorderError(f"spool {self._plan.spool} is not writable: {exc.strerror or exc}") from exc
        for written in (self._spool.descriptor_path, self._spool.locator_path):
            finish_interrupted_link(durable_temporary(written), written)  # a crash cut its write short
        if not self._spool.descriptor_path.exists():
            started = self._clock.now()
            prefix = recording_prefix(self._plan.court, started, self._plan.recording_id)
            descriptor = {
                "recording_id": self._plan.recording_id,
                "prefix": prefix,
                "started": started.isoformat(),
            }
            write_file_durably(self._spool.descriptor_path, json.dumps(descriptor, sort_keys=True).encode())
        if not self._spool.locator_path.exists():
            body = locator_body(self._plan.recording_id, self._descriptor()["prefix"])
            write_file_durably(self._spool.locator_path, body)

    def _descriptor(self) -> dict[str, str]:
        data: dict[str, str] = json.loads(self._spool.descriptor_path.read_text())
        return data

    def _open_log(self) -> tuple[RecordingLog, RecordingHistory]:
        try:
            key = load_or_create_device_key(self._plan.key_path or device_key_path(self._plan.spool))
        except ArchiveError as exc:
            raise RecorderError(str(exc)) from exc
        self._key_b64 = key.public_key_b64
        self._queue = UploadQueue(queue_path(self._plan.spool), clock=self._clock)

        try:
            journal = JournalWriter.open(
                self._spool.journal_dir,
                self._plan.recording_id,
                key,
                on_chunk_closed=self._journal_chunk_closed,
            )
        except ArchiveError as exc:
            raise RecorderError(str(exc)) from exc
        history = RecordingHistory.from_lines(journal.history)
        log = RecordingLog(
            self._spool,
            journal,
            self._queue,
            object_prefix=self._descriptor()["prefix"],
            run=history.runs + 1,
            streams=history.streams,
        )
        self._log = log
        self._queue.enqueue(
            object_key=locator_key(self._plan.recording_id),
            local_path=self._spool.locator_path,
            sha256=sha256_bytes(self._spool.locator_path.read_bytes()),
            size=self._spool.locator_path.stat().st_size,
            recording_id=self._plan.recording_id,
            delete_after_upload=False,
        )
        return log, history

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
                _reopener(spec, source),
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
        """Journal an event of the recording's life decided outside the recorder (a body camera's
        deactivation, before it stops the recording)."""
        self._require_log().journal.append(event)

    def journal_alarm(self, event: AlarmEvent) -> None:
        """Journal an alarm raised outside the recorder (an upload integrity alarm of the spool's
        shared uploader, when ``uploads_elsewhere``)."""
        self._require_log().journal.append(event)

    def _start_uploader(self) -> None:
        if self._uploads_elsewhere:
            return
        if self._store is None:
            logger.warning("no object store configured: sealed segments stay on the spool until one is")
            return
        log = self._require_log()

        def alarm(item: UploadItem, message: str) -> None:
            log.journal.append(
                AlarmEvent(condition="integrity", active=True, object=item.object_key, detail=message)
            )

        def mismatch(item: UploadItem, active: bool, message: str) -> None:
            log.journal.append(
                AlarmEvent(condition="upload_mismatch", active=active, object=item.object_key, detail=message)
            )

        self._uploader = Uploader(
            self.queue,
            self._store,
            on_integrity_alarm=alarm,
            on_mismatch_alarm=mismatch,
            mismatch_window_seconds=self._plan.upload_mismatch_window_seconds,
        )
        self._uploader.start()

    def _checkpoints(self) -> None:
        log = self._require_log()
        while not self._clock.wait(self._checkpoint_stop, self._plan.checkpoint_seconds):
            try:
                closed = log.journal.checkpoint()
            except Exception as exc:  # a full disk skips this checkpoint; the next one covers it
                if not is_disk_full(exc):
                    raise
                self.space.full("journal checkpoint", exc)
                continue
            if closed is not None and self._on_checkpoint is not None:
                self._on_checkpoint()  # e.g. report the new head to the portal (it returns at once)


def _reopener(spec: SourceSpec, first: Source) -> Callable[[], Source]:
    """A callable that returns the already-open source first, then reopens it on later calls."""
    pending = [first]

    def open_again() -> Source:
        return pending.pop() if pending else open_source(spec)

    return open_again


def _describe(name: str, source: Source) -> list[StreamDeclaration]:
    """The streams (CMAF track files) ``source`` is recorded into: its video, then its sound."""
    video = source.video
    audio = source.audio
    video_stream, audio_stream = track_streams(name, video=video is not None, audio=audio is not None)
    declared: list[StreamDeclaration] = []
    if video_stream is not None and video is not None:
        picture = VideoDeclaration(width=video.width, height=video.height, fps=str(video.fps), codec="h264")
        declared.append(
            StreamDeclaration(
                name=video_stream,
                source=source.spec.redacted(),
                video=picture,
                audio=None,
                format=CMAF_TRACK_FILE,
            )
        )
    if audio_stream is not None and audio is not None:
        sound = AudioDeclaration(sample_rate=48000, channels=audio.channels, codec="aac")
        declared.append(
            StreamDeclaration(
                name=audio_stream,
                source=source.spec.redacted(),
                video=None,
                audio=sound,
                format=CMAF_TRACK_FILE,
            )
        )
    return declared
