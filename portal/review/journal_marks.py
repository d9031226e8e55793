"""What a recording's journal says happened besides the media: its gaps (faults, restarts, a full
disk, pauses), the clerk's pauses, log notes, readiness checks and sealed spans, each at its wall
time (UTC) — and where each falls on a stream's playing time.

Read from the same chain lines as the playable tracks (``archive.export.tracks_from_journal``), so
the player, the segment check and the hearing page all see one account of the recording.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from archive import JournalError
from archive.journal import (
    GapEvent,
    JournalLine,
    NoteEvent,
    NoteKind,
    PauseEvent,
    PauseReason,
    ReadinessCheck,
    ReadinessEvent,
    ResumeEvent,
    SealBeginEvent,
    SealEndEvent,
    SegmentEvent,
    StartEvent,
    StopEvent,
    parse_event,
)


class GapCause(StrEnum):
    """Why nothing (or nothing usable) was recorded for a while."""

    FAULT = "fault"  # a source or the encoder failed
    RESTART = "restart"  # the recorder stopped and started again
    DISK = "disk"  # the spool disk was full
    PAUSE = "pause"  # the clerk paused (2017 rules art. 3)


GAP_CAUSE_NAMES = {
    GapCause.FAULT: "设备故障",
    GapCause.RESTART: "录制程序重启",
    GapCause.DISK: "存储空间已满",
    GapCause.PAUSE: "暂停录制",
}
"""How pages name each cause."""


@dataclass(frozen=True, slots=True)
class GapMark:
    """One gap: ``key`` names it within the recording (the seq of its first journal line) and
    ``sha256`` is the hash of the journal lines that record it (what an explanation is bound to)."""

    key: int
    sha256: str
    cause: GapCause
    start: datetime
    end: datetime | None  # None: a pause never resumed
    streams: tuple[str, ...]
    reason: str

    @property
    def seconds(self) -> float | None:
        return None if self.end is None else round((self.end - self.start).total_seconds(), 3)


@dataclass(frozen=True, slots=True)
class PauseMark:
    """A pause from ``start`` to ``end`` (None: never resumed) for ``reason`` (``code``: art. 3)."""

    start: datetime
    end: datetime | None
    code: PauseReason | None
    reason: str
    by: str | None


@dataclass(frozen=True, slots=True)
class NoteMark:
    """A clerk's log note at ``at``."""

    at: datetime
    kind: NoteKind
    text: str
    by: str


@dataclass(frozen=True, slots=True)
class ReadinessMark:
    """A readiness check done at ``at``; ``ready`` when every item passed."""

    at: datetime
    ready: bool
    checks: tuple[ReadinessCheck, ...]
    by: str


@dataclass(frozen=True, slots=True)
class SealedSpan:
    """A sealed span from ``start`` to ``end`` (None: to the end of the recording)."""

    start: datetime
    end: datetime | None
    reason: str
    by: str

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether [start, end) shares any time with the span."""
        return start < (self.end or datetime.max.replace(tzinfo=start.tzinfo)) and end > self.start


@dataclass(frozen=True, slots=True)
class SegmentTime:
    """Where one segment of a stream lies: ``position`` seconds into the stream's playing time and,
    when journaled, its wall time (UTC) from ``wall_start`` for ``duration`` seconds."""

    object: str
    position: float
    duration: float
    wall_start: datetime | None

    @property
    def wall_end(self) -> datetime | None:
        return None if self.wall_start is None else self.wall_start + timedelta(seconds=self.duration)


@dataclass(frozen=True, slots=True)
class JournalMarks:
    """Everything of :mod:`journal_marks` read from one recording's journal."""

    gaps: tuple[GapMark, ...] = ()
    pauses: tuple[PauseMark, ...] = ()
    notes: tuple[NoteMark, ...] = ()
    readiness: tuple[ReadinessMark, ...] = ()
    sealed: tuple[SealedSpan, ...] = ()
    segment_times: Mapping[str, tuple[SegmentTime, ...]] = field(default_factory=dict)

    def position(self, stream: str, at: datetime) -> float | None:
        """Seconds into ``stream``'s playing time at wall time ``at``: inside a segment, its offset
        there; in a break, the start of the next segment (the player cannot show a time not recorded);
        None when the stream has no wall-timed segments."""
        timed = [s for s in self.segment_times.get(stream, ()) if s.wall_start is not None]
        if not timed:
            return None
        starts = [s.wall_start for s in timed if s.wall_start is not None]
        index = bisect.bisect_right(starts, at) - 1
        if index < 0:
            return timed[0].position
        segment = timed[index]
        offset = (at - starts[index]).total_seconds()
        return round(segment.position + min(offset, segment.duration), 3)

    def sealed_objects(self, stream: str) -> frozenset[str]:
        """The segments of ``stream`` that overlap a sealed span (a segment whose time is unknown
        counts as sealed when the recording has any sealed span: deny by default)."""
        if not self.sealed:
            return frozenset()
        found: set[str] = set()
        for segment in self.segment_times.get(stream, ()):
            start, end = segment.wall_start, segment.wall_end
            if start is None or end is None or any(span.overlaps(start, end) for span in self.sealed):
                found.add(segment.object)
        return frozenset(found)

    def without(self, objects: frozenset[str]) -> JournalMarks:
        """These marks as a viewer sees them who is not shown ``objects`` (withheld segments): the
        playing time closes up over them, and notes and readiness checks inside a sealed span are
        left out (what was noted there is sealed too)."""
        if not objects and not self.sealed:
            return self
        times: dict[str, tuple[SegmentTime, ...]] = {}
        for stream, segments in self.segment_times.items():
            kept: list[SegmentTime] = []
            for segment in segments:
                if segment.object not in objects:
                    position = kept[-1].position + kept[-1].duration if kept else 0.0
                    kept.append(SegmentTime(segment.object, position, segment.duration, segment.wall_start))
            times[stream] = tuple(kept)
        return JournalMarks(
            gaps=self.gaps,
            pauses=self.pauses,
            notes=tuple(note for note in self.notes if not self.is_sealed(note.at)),
            readiness=tuple(check for check in self.readiness if not self.is_sealed(check.at)),
            sealed=self.sealed,
            segment_times=times,
        )

    def playing_seconds(self, stream: str) -> float:
        """The length of ``stream``'s playing time in seconds."""
        segments = self.segment_times.get(stream, ())
        return round(segments[-1].position + segments[-1].duration, 3) if segments else 0.0

    def is_sealed(self, at: datetime) -> bool:
        """Whether wall time ``at`` lies in a sealed span."""
        return any(span.overlaps(at, at + timedelta(microseconds=1)) for span in self.sealed)

    def gap(self, key: int) -> GapMark | None:
        """The gap named ``key``, or None."""
        return next((gap for gap in self.gaps if gap.key == key), None)


def parse_utc(text: str) -> datetime:
    """A journal time (ISO 8601 with its offset) as an aware datetime; ValueError if it is not one."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"journal time {text!r} has no time zone")
    return moment


def marks_from_journal(lines: Iterable[JournalLine]) -> JournalMarks:
    """Read the marks from a recording's chain lines, in order (lines that are not events are left
    to the tracks' reader, which reports them)."""
    reader = _Reader()
    for line in lines:
        reader.read(line)
    return reader.marks()


@dataclass
class _Reader:
    gap_lines: list[tuple[JournalLine, GapEvent]] = field(default_factory=list)
    restarts: list[tuple[JournalLine, datetime, str]] = field(default_factory=list)
    notes: list[NoteMark] = field(default_factory=list)
    readiness: list[ReadinessMark] = field(default_factory=list)
    sealed: list[SealedSpan] = field(default_factory=list)
    segments: dict[str, list[SegmentTime]] = field(default_factory=dict)
    open_pause: tuple[JournalLine, PauseEvent] | None = None
    open_seal: tuple[datetime, SealBeginEvent] | None = None
    stopped_at: datetime | None = None
    closed_pauses: list[tuple[JournalLine, PauseEvent, datetime | None]] = field(default_factory=list)

    def read(self, line: JournalLine) -> None:
        try:
            event = parse_event(line)
            at = parse_utc(line.at)
        except (JournalError, ValueError):
            return  # a bad line is the tracks reader's to report (it raises naming the line)
        if isinstance(event, NoteEvent | ReadinessEvent | SealBeginEvent | SealEndEvent):
            self._clerk(event, at)
        elif isinstance(event, GapEvent):
            self.gap_lines.append((line, event))
        elif isinstance(event, PauseEvent):
            if self.open_pause is None:
                self.open_pause = (line, event)
        elif isinstance(event, ResumeEvent):
            self._close_pause(at)
        elif isinstance(event, StopEvent):
            self.stopped_at = at
            self._close_pause(at)
        elif isinstance(event, StartEvent):
            if event.run > 1 and self.stopped_at is not None:
                self.restarts.append((line, self.stopped_at, event.reason))
            self.stopped_at = None
        elif isinstance(event, SegmentEvent):
            self._segment(event)

    def _clerk(self, event: NoteEvent | ReadinessEvent | SealBeginEvent | SealEndEvent, at: datetime) -> None:
        if isinstance(event, NoteEvent):
            self.notes.append(NoteMark(at, event.kind, event.text, event.by))
        elif isinstance(event, ReadinessEvent):
            self.readiness.append(ReadinessMark(at, event.ready, event.checks, event.by))
        elif isinstance(event, SealBeginEvent):
            if self.open_seal is None:
                self.open_seal = (at, event)
        elif self.open_seal is not None:
            begun, begin = self.open_seal
            self.sealed.append(SealedSpan(begun, at, begin.reason, begin.by))
            self.open_seal = None

    def _segment(self, event: SegmentEvent) -> None:
        if event.init is None or event.duration is None:
            return  # not playable: not on the playing time either (see tracks_from_journal)
        stream = self.segments.setdefault(event.stream, [])
        position = stream[-1].position + stream[-1].duration if stream else 0.0
        try:
            wall = None if event.t_start_utc is None else parse_utc(event.t_start_utc)
        except ValueError:
            wall = None
        stream.append(SegmentTime(event.object, position, float(event.duration), wall))

    def _close_pause(self, at: datetime | None) -> None:
        if self.open_pause is not None:
            line, event = self.open_pause
            self.closed_pauses.append((line, event, at))
            self.open_pause = None

    def marks(self) -> JournalMarks:
        if self.open_pause is not None:
            self._close_pause(None)
        sealed = list(self.sealed)
        if self.open_seal is not None:
            begun, begin = self.open_seal
            sealed.append(SealedSpan(begun, None, begin.reason, begin.by))
        pauses = [
            PauseMark(parse_utc(line.at), end, event.code, event.reason, event.by)
            for line, event, end in self.closed_pauses
        ]
        return JournalMarks(
            gaps=tuple(sorted(self._gaps(), key=lambda gap: (gap.start, gap.key))),
            pauses=tuple(pauses),
            notes=tuple(self.notes),
            readiness=tuple(self.readiness),
            sealed=tuple(sealed),
            segment_times={stream: tuple(items) for stream, items in self.segments.items()},
        )

    def _gaps(self) -> list[GapMark]:
        gaps = _grouped_gaps(self.gap_lines)
        for line, event, end in self.closed_pauses:
            gaps.append(
                GapMark(line.seq, line.digest, GapCause.PAUSE, parse_utc(line.at), end, (), event.reason)
            )
        for line, stopped, reason in self.restarts:
            gaps.append(
                GapMark(line.seq, line.digest, GapCause.RESTART, stopped, parse_utc(line.at), (), reason)
            )
        return gaps


def _grouped_gaps(items: list[tuple[JournalLine, GapEvent]]) -> list[GapMark]:
    """One mark per incident: the gap lines of several streams with the same reason and time are one."""
    groups: dict[tuple[str, str, str], list[tuple[JournalLine, GapEvent]]] = {}
    for line, event in items:
        groups.setdefault((event.start[:19], event.end[:19], event.reason), []).append((line, event))
    marks: list[GapMark] = []
    for members in groups.values():
        first_line, first = members[0]
        digest = hashlib.sha256("".join(line.digest for line, _ in members).encode()).hexdigest()
        try:
            start, end = parse_utc(first.start), parse_utc(first.end)
        except ValueError:
            continue
        streams = tuple(sorted({event.stream for _, event in members}))
        marks.append(GapMark(first_line.seq, digest, _cause(first.reason), start, end, streams, first.reason))
    return marks


def _cause(reason: str) -> GapCause:
    # the recorder's gap reasons: "recorder restarted after an unclean stop", "spool disk full: …",
    # "source gave no frames", overload and encoder failures (everything else is a fault)
    text = reason.lower()
    if "restart" in text:
        return GapCause.RESTART
    if "disk" in text:
        return GapCause.DISK
    return GapCause.FAULT
