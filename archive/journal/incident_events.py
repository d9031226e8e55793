"""Journal events for what went wrong during a recording: gaps, clock steps, alarms, stream failures,
repairs.

Part of :mod:`archive.journal.events`, which parses them; field names are those on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from archive.journal.event_checks import check_not_negative, check_sha256
from archive.journal.fields import FieldReader, JsonObject, without_none
from archive.journal.format import EventType

RECORDING_FAILED = "recording_failed"


@dataclass(frozen=True, slots=True)
class GapEvent:
    """Nothing was recorded on ``stream`` from ``start`` to ``end`` (ISO 8601 UTC; on disk ``from``
    and ``to``), ``seconds`` long, for ``reason``."""

    TYPE: ClassVar[EventType] = EventType.GAP
    stream: str
    start: str
    end: str
    reason: str
    seconds: float

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(
            stream=fields.string("stream"),
            start=fields.string("from"),
            end=fields.string("to"),
            reason=fields.string("reason"),
            seconds=fields.number("seconds"),
        )

    def to_fields(self) -> JsonObject:
        return {
            "stream": self.stream,
            "from": self.start,
            "to": self.end,
            "reason": self.reason,
            "seconds": self.seconds,
        }


@dataclass(frozen=True, slots=True)
class ClockStepEvent:
    """The device's wall clock stepped by ``step_seconds`` (positive: ahead) against its monotonic
    clock: at wall time ``observed`` the monotonic clock put it at ``expected`` (ISO 8601 UTC). Wall
    times journaled before and after the step are on different timelines; durations (gaps, segment
    lengths) never come from the wall clock. ``reason`` says how it was noticed."""

    TYPE: ClassVar[EventType] = EventType.CLOCK_STEP
    step_seconds: float
    expected: str
    observed: str
    reason: str

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(
            step_seconds=fields.number("step_seconds"),
            expected=fields.string("expected"),
            observed=fields.string("observed"),
            reason=fields.string("reason"),
        )

    def to_fields(self) -> JsonObject:
        return {
            "step_seconds": self.step_seconds,
            "expected": self.expected,
            "observed": self.observed,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    """An alarm is raised (``active``) or cleared: a stream's health ``condition`` (no frames,
    frozen, silence …), or ``integrity`` for an ``object`` the store rejected, with ``detail``.
    Absent fields are None and are omitted on disk."""

    TYPE: ClassVar[EventType] = EventType.ALARM
    condition: str
    active: bool
    stream: str | None = None
    object: str | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        if self.condition == RECORDING_FAILED:
            raise ValueError("a recording failure is a RecordingFailedEvent, not an AlarmEvent")

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(
            condition=fields.string("condition"),
            active=fields.boolean("active"),
            stream=fields.opt_string("stream"),
            object=fields.opt_string("object"),
            detail=fields.opt_string("detail"),
        )

    def to_fields(self) -> JsonObject:
        fields: JsonObject = {
            "stream": self.stream,
            "condition": self.condition,
            "active": self.active,
            "object": self.object,
            "detail": self.detail,
        }
        return without_none(fields, "stream", "object", "detail")


@dataclass(frozen=True, slots=True)
class RecordingFailedEvent:
    """A stream's recording failed with ``detail`` and is being restarted (an active alarm)."""

    TYPE: ClassVar[EventType] = EventType.ALARM
    stream: str
    detail: str

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        if fields.boolean("active") is not True:
            raise fields.fail("a recording_failed alarm must be active")
        return cls(stream=fields.string("stream"), detail=fields.string("detail"))

    def to_fields(self) -> JsonObject:
        return {"stream": self.stream, "condition": RECORDING_FAILED, "active": True, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class RepairEvent:
    """Something torn by a crash was cut and kept: a journal line (``torn_bytes``, ``torn_sha256``,
    ``kept_as``) or a segment of ``stream`` with nothing decodable (``raw_size``, ``raw_kept_as``).
    Absent fields are None and are omitted on disk."""

    TYPE: ClassVar[EventType] = EventType.REPAIR
    reason: str
    stream: str | None = None
    torn_bytes: int | None = None
    torn_sha256: str | None = None
    kept_as: str | None = None
    raw_size: int | None = None
    raw_kept_as: str | None = None

    def __post_init__(self) -> None:
        if self.torn_sha256 is not None:
            check_sha256(self.torn_sha256, "torn_sha256")
        check_not_negative(self.torn_bytes, "torn_bytes")
        check_not_negative(self.raw_size, "raw_size")

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(
            reason=fields.string("reason"),
            stream=fields.opt_string("stream"),
            torn_bytes=fields.opt_integer("torn_bytes"),
            torn_sha256=fields.opt_string("torn_sha256"),
            kept_as=fields.opt_string("kept_as"),
            raw_size=fields.opt_integer("raw_size"),
            raw_kept_as=fields.opt_string("raw_kept_as"),
        )

    def to_fields(self) -> JsonObject:
        fields: JsonObject = {
            "reason": self.reason,
            "stream": self.stream,
            "torn_bytes": self.torn_bytes,
            "torn_sha256": self.torn_sha256,
            "kept_as": self.kept_as,
            "raw_size": self.raw_size,
            "raw_kept_as": self.raw_kept_as,
        }
        return without_none(fields, *(name for name in fields if name != "reason"))
