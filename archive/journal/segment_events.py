"""Journal events that seal a recording's objects and sign them: a stream's initialization segment,
the origin of a stream's run, media segments (the Merkle leaves, in journal order) and the signed
checkpoints over them.

Part of :mod:`archive.journal.events`, which parses them; field names are those on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self, TypeAlias

from archive.journal.event_checks import check_not_negative, check_sha256
from archive.journal.fields import FieldReader, JsonObject, without_none
from archive.journal.format import EventType, SegmentFlag


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


LeafEvent: TypeAlias = InitEvent | SegmentEvent
"""The events that seal an object: the leaves of the checkpoints' Merkle tree, in journal order."""
