"""Typed journal events: one frozen dataclass per event a journal line records, and one parser.

A journal line is an envelope (``v``, ``seq``, ``prev``, ``type``, ``at``, ``recording_id``, kept
by :class:`~archive.journal.format.JournalLine`) around the event's own fields. The writer takes
these events (:meth:`~archive.journal.writer.JournalWriter.append`) and every reader turns a line
back into one with :func:`parse_event`, which raises JournalError naming the line's ``seq`` and
what was wrong. Field names and values are exactly those on disk: encoding a parsed event gives the
line's bytes again (:func:`line_fields`), so old journals parse, verify and re-encode unchanged.

``alarm`` lines hold two events: :class:`RecordingFailedEvent` (condition ``recording_failed``: a
stream's media worker failed and is restarted) and :class:`AlarmEvent` (every other condition).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Self, TypeAlias

from archive.errors import JournalError
from archive.journal.activation_events import ActivateEvent, ActivationTrigger, DeactivateEvent
from archive.journal.clerk_events import (
    NoteEvent,
    NoteKind,
    PauseReason,
    ReadinessCheck,
    ReadinessEvent,
    ReadinessItem,
    SealBeginEvent,
    SealEndEvent,
)
from archive.journal.event_checks import check_not_negative, check_sha256
from archive.journal.fields import FieldReader, JsonObject, without_none
from archive.journal.format import FORMAT_VERSION, EventType, JournalLine, SegmentFlag
from archive.journal.incident_events import (
    RECORDING_FAILED,
    AlarmEvent,
    ClockStepEvent,
    GapEvent,
    RecordingFailedEvent,
    RepairEvent,
)
from archive.journal.stream_declaration import StreamDeclaration

__all__ = [
    "RECORDING_FAILED",
    "ActivateEvent",
    "ActivationTrigger",
    "AlarmEvent",
    "CheckpointEvent",
    "ClockStepEvent",
    "DeactivateEvent",
    "GapEvent",
    "InitEvent",
    "JournalEvent",
    "LeafEvent",
    "NoteEvent",
    "NoteKind",
    "OriginEvent",
    "PauseEvent",
    "PauseReason",
    "ReadinessCheck",
    "ReadinessEvent",
    "ReadinessItem",
    "RecordingFailedEvent",
    "RepairEvent",
    "ResumeEvent",
    "SealBeginEvent",
    "SealEndEvent",
    "SegmentEvent",
    "StartEvent",
    "StopEvent",
    "line_fields",
    "parse_event",
]


@dataclass(frozen=True, slots=True)
class StartEvent:
    """A run of the recording starts: where, on which device (its public key signs checkpoints),
    which streams, and why (``run`` counts the starts, 1 for the first). ``hearing`` is the portal's
    hearing id when the courtroom service started it by the schedule (absent on older lines)."""

    TYPE: ClassVar[EventType] = EventType.START
    device_id: str
    public_key: str
    court: str
    room: str
    case: str | None
    run: int
    reason: str
    object_prefix: str
    streams: tuple[StreamDeclaration, ...]
    hearing: str | None = None

    def __post_init__(self) -> None:
        if not self.public_key:
            raise ValueError("a start event must announce the device key ('public_key' is empty)")
        if self.run < 1:
            raise ValueError(f"'run' must be >= 1 (got {self.run})")

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(
            device_id=fields.string("device_id"),
            public_key=fields.string("public_key"),
            court=fields.string("court"),
            room=fields.string("room"),
            case=fields.opt_string("case"),
            run=fields.integer("run"),
            reason=fields.string("reason"),
            object_prefix=fields.string("object_prefix"),
            streams=tuple(StreamDeclaration.from_fields(s) for s in fields.objects("streams")),
            hearing=fields.opt_string("hearing"),
        )

    def to_fields(self) -> JsonObject:
        return {
            "device_id": self.device_id,
            "public_key": self.public_key,
            "court": self.court,
            "room": self.room,
            "case": self.case,
            "run": self.run,
            "reason": self.reason,
            "object_prefix": self.object_prefix,
            "streams": [stream.to_fields() for stream in self.streams],
            **({} if self.hearing is None else {"hearing": self.hearing}),  # old lines re-encode unchanged
        }


@dataclass(frozen=True, slots=True)
class StopEvent:
    """The run stops; ``failures`` names the streams that had failed (``"cam: message"``)."""

    TYPE: ClassVar[EventType] = EventType.STOP
    reason: str
    failures: tuple[str, ...] = ()

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(reason=fields.string("reason"), failures=fields.strings("failures"))

    def to_fields(self) -> JsonObject:
        return {"reason": self.reason, "failures": list(self.failures)}


@dataclass(frozen=True, slots=True)
class PauseEvent:
    """Recording is paused for ``reason`` (the words shown to people); ``code`` is one of the 2017
    rules' art. 3 reasons (:class:`PauseReason`) and ``by`` who paused (both absent on older lines)."""

    TYPE: ClassVar[EventType] = EventType.PAUSE
    reason: str
    code: PauseReason | None = None
    by: str | None = None

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        code = fields.opt_string("code")
        return cls(
            reason=fields.string("reason"),
            code=None if code is None else PauseReason(code),
            by=fields.opt_string("by"),
        )

    def to_fields(self) -> JsonObject:
        return without_none(
            {"reason": self.reason, "code": None if self.code is None else str(self.code), "by": self.by},
            "code",
            "by",
        )


@dataclass(frozen=True, slots=True)
class ResumeEvent:
    """A pause ends, resumed by ``by`` (absent on older lines)."""

    TYPE: ClassVar[EventType] = EventType.RESUME
    reason: str
    by: str | None = None

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(reason=fields.string("reason"), by=fields.opt_string("by"))

    def to_fields(self) -> JsonObject:
        return without_none({"reason": self.reason, "by": self.by}, "by")


@dataclass(frozen=True, slots=True)
class InitEvent:
    """A stream's initialization segment is sealed: ``object`` (relative to the recording's prefix),
    its SHA-256 (hex) and ``size`` in bytes. A Merkle leaf."""

    TYPE: ClassVar[EventType] = EventType.INIT
    stream: str
    object: str
    sha256: str
    size: int

    def __post_init__(self) -> None:
        check_sha256(self.sha256)
        check_not_negative(self.size, "size")

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(
            stream=fields.string("stream"),
            object=fields.string("object"),
            sha256=fields.string("sha256"),
            size=fields.integer("size"),
        )

    def to_fields(self) -> JsonObject:
        return {"stream": self.stream, "object": self.object, "sha256": self.sha256, "size": self.size}


@dataclass(frozen=True, slots=True)
class OriginEvent:
    """A run of ``stream`` took its first picture or sound: media time 0 of the segments it writes
    is ``t_origin_utc`` (ISO 8601 UTC). Journaled before any of that run's media is written, so a
    segment salvaged after a crash is timed from its own run, not from the run before."""

    TYPE: ClassVar[EventType] = EventType.ORIGIN
    stream: str
    t_origin_utc: str

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(stream=fields.string("stream"), t_origin_utc=fields.string("t_origin_utc"))

    def to_fields(self) -> JsonObject:
        return {"stream": self.stream, "t_origin_utc": self.t_origin_utc}


@dataclass(frozen=True, slots=True)
class SegmentEvent:
    """A media segment is sealed. A Merkle leaf.

    ``segment`` numbers the stream's segments from 1; ``init`` is the initialization segment it
    decodes with (None when none was journaled before it); seconds are media time, ``t_*_utc`` ISO
    8601 wall-clock time, each None when unknown (a recovered segment that could not be probed).
    ``raw_size``/``raw_kept_as`` are set on a segment salvaged from a torn one (its raw bytes' size
    and where they are kept) and omitted otherwise.
    """

    TYPE: ClassVar[EventType] = EventType.SEGMENT
    stream: str
    segment: int
    object: str
    sha256: str
    size: int
    init: str | None
    start_seconds: float | None
    end_seconds: float | None
    duration: float | None
    t_start_utc: str | None
    t_end_utc: str | None
    flags: tuple[SegmentFlag, ...] = ()
    raw_size: int | None = None
    raw_kept_as: str | None = None

    def __post_init__(self) -> None:
        check_sha256(self.sha256)
        if self.segment < 1:
            raise ValueError(f"'segment' must be >= 1 (got {self.segment})")
        check_not_negative(self.size, "size")
        check_not_negative(self.duration, "duration")
        check_not_negative(self.raw_size, "raw_size")

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        try:
            flags = tuple(SegmentFlag(flag) for flag in fields.strings("flags"))
        except ValueError as exc:
            raise fields.fail(f"unknown segment flag ({exc})") from exc
        return cls(
            stream=fields.string("stream"),
            segment=fields.integer("segment"),
            object=fields.string("object"),
            sha256=fields.string("sha256"),
            size=fields.integer("size"),
            init=fields.opt_string("init"),
            start_seconds=fields.opt_number("start_seconds"),
            end_seconds=fields.opt_number("end_seconds"),
            duration=fields.opt_number("duration"),
            t_start_utc=fields.opt_string("t_start_utc"),
            t_end_utc=fields.opt_string("t_end_utc"),
            flags=flags,
            raw_size=fields.opt_integer("raw_size"),
            raw_kept_as=fields.opt_string("raw_kept_as"),
        )

    def to_fields(self) -> JsonObject:
        fields: JsonObject = {
            "stream": self.stream,
            "segment": self.segment,
            "object": self.object,
            "sha256": self.sha256,
            "size": self.size,
            "init": self.init,
            "start_seconds": self.start_seconds,
            "end_seconds": self.end_seconds,
            "duration": self.duration,
            "t_start_utc": self.t_start_utc,
            "t_end_utc": self.t_end_utc,
            "flags": [str(flag) for flag in self.flags],
            "raw_size": self.raw_size,
            "raw_kept_as": self.raw_kept_as,
        }
        return without_none(fields, "raw_size", "raw_kept_as")


@dataclass(frozen=True, slots=True)
class CheckpointEvent:
    """Closes a journal chunk: the Merkle ``root`` (hex) over the first ``tree_size`` sealed objects,
    signed (Ed25519, base64 ``signature``) by the device key ``public_key``."""

    TYPE: ClassVar[EventType] = EventType.CHECKPOINT
    tree_size: int
    root: str
    public_key: str
    signature: str

    def __post_init__(self) -> None:
        check_not_negative(self.tree_size, "tree_size")
        check_sha256(self.root, "root")

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(
            tree_size=fields.integer("tree_size"),
            root=fields.string("root"),
            public_key=fields.string("public_key"),
            signature=fields.string("signature"),
        )

    def to_fields(self) -> JsonObject:
        return {
            "tree_size": self.tree_size,
            "root": self.root,
            "public_key": self.public_key,
            "signature": self.signature,
        }


JournalEvent: TypeAlias = (
    StartEvent
    | StopEvent
    | PauseEvent
    | ResumeEvent
    | InitEvent
    | SegmentEvent
    | GapEvent
    | ClockStepEvent
    | AlarmEvent
    | RecordingFailedEvent
    | CheckpointEvent
    | RepairEvent
    | OriginEvent
    | ActivateEvent
    | DeactivateEvent
    | NoteEvent
    | ReadinessEvent
    | SealBeginEvent
    | SealEndEvent
)
LeafEvent: TypeAlias = InitEvent | SegmentEvent
"""The events that seal an object: the leaves of the checkpoints' Merkle tree, in journal order."""


def _parse_alarm(fields: FieldReader) -> AlarmEvent | RecordingFailedEvent:
    if fields.string("condition") == RECORDING_FAILED:
        return RecordingFailedEvent.from_fields(fields)
    return AlarmEvent.from_fields(fields)


_PARSERS: dict[str, Callable[[FieldReader], JournalEvent]] = {
    EventType.START: StartEvent.from_fields,
    EventType.STOP: StopEvent.from_fields,
    EventType.PAUSE: PauseEvent.from_fields,
    EventType.RESUME: ResumeEvent.from_fields,
    EventType.INIT: InitEvent.from_fields,
    EventType.SEGMENT: SegmentEvent.from_fields,
    EventType.GAP: GapEvent.from_fields,
    EventType.CLOCK_STEP: ClockStepEvent.from_fields,
    EventType.ALARM: _parse_alarm,
    EventType.CHECKPOINT: CheckpointEvent.from_fields,
    EventType.REPAIR: RepairEvent.from_fields,
    EventType.ORIGIN: OriginEvent.from_fields,
    EventType.ACTIVATE: ActivateEvent.from_fields,
    EventType.DEACTIVATE: DeactivateEvent.from_fields,
    EventType.NOTE: NoteEvent.from_fields,
    EventType.READINESS: ReadinessEvent.from_fields,
    EventType.SEAL_BEGIN: SealBeginEvent.from_fields,
    EventType.SEAL_END: SealEndEvent.from_fields,
}


def parse_event(line: JournalLine) -> JournalEvent:
    """The event ``line`` records.

    Raises JournalError naming the line's ``seq`` for an unknown ``type``, a missing field, a field
    of the wrong JSON type or an invalid value. Fields the event does not know are ignored.
    """
    where = f"journal seq {line.seq}"
    parser = _PARSERS.get(line.type)
    if parser is None:
        raise JournalError(f"{where}: unknown event type {line.type!r}")
    try:
        return parser(FieldReader(line.fields, f"{where} ({line.type})"))
    except ValueError as exc:
        raise JournalError(f"{where} ({line.type}): {exc}") from exc


def line_fields(event: JournalEvent, *, seq: int, prev: str, at: str, recording_id: str) -> JsonObject:
    """Every field of the journal line that records ``event`` at position ``seq`` after ``prev``
    (what :func:`~archive.journal.format.encode_line` turns into the line's bytes)."""
    return {
        **event.to_fields(),
        "v": FORMAT_VERSION,
        "seq": seq,
        "prev": prev,
        "type": str(event.TYPE),
        "at": at,
        "recording_id": recording_id,
    }
