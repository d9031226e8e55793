"""Journal events of a recording's run: it starts, pauses, resumes and stops.

Part of :mod:`archive.journal.events`, which parses them; field names are those on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from archive.journal.clerk_events import PauseReason
from archive.journal.fields import FieldReader, JsonObject, without_none
from archive.journal.format import EventType
from archive.journal.stream_declaration import StreamDeclaration


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
