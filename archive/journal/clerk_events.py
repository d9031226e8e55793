"""Journal events a clerk (or the courtroom console) records: log notes, the pre-hearing readiness
check, and sealed spans (evidence that must not be made public, 2017 hearing-recording rules art. 3).

Part of :mod:`archive.journal.events`, which parses them; field names are those on disk. Each line's
envelope ``at`` (UTC) is when it happened; players place notes and spans on the timeline by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Self, TypeAlias

from archive.journal.fields import FieldReader, JsonObject, without_none
from archive.journal.format import EventType

BY_SYSTEM = "系统"
"""Who closed or reopened a pause or sealed span the recorder service itself had to close (the
recording stopped while it was open) or reopen (after the service restarted)."""


class PauseReason(StrEnum):
    """Why a recording may pause (2017 rules art. 3); ``OTHER`` needs the clerk's own words."""

    RECESS = "recess"  # 休庭
    NON_PUBLIC_EVIDENCE = "non_public_evidence"  # 不公开质证的证据
    MEDIATION = "mediation"  # 调解
    OTHER = "other"  # 其他（须写明）


class NoteKind(StrEnum):
    """What a log note marks."""

    SPEAKER = "speaker"  # 发言人
    EXHIBIT = "exhibit"  # 出示证据
    EVENT = "event"  # 庭审事件
    TEXT = "text"  # 自由记录


class ReadinessItem(StrEnum):
    """What a readiness check looks at."""

    CAMERA = "camera"
    MICROPHONE = "microphone"
    STORAGE = "storage"
    UPLOAD = "upload"


@dataclass(frozen=True, slots=True)
class NoteEvent:
    """A timestamped log note by ``by`` (the clerk's name or account): ``kind`` and ``text``."""

    TYPE: ClassVar[EventType] = EventType.NOTE
    kind: NoteKind
    text: str
    by: str

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("a note needs text")

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(kind=NoteKind(fields.string("kind")), text=fields.string("text"), by=fields.string("by"))

    def to_fields(self) -> JsonObject:
        return {"kind": str(self.kind), "text": self.text, "by": self.by}


@dataclass(frozen=True, slots=True)
class ReadinessCheck:
    """One item of a readiness check: ``item`` of ``stream`` (None for storage/upload) passed or not,
    with what was measured or seen (``detail``) and whether the clerk confirmed it by eye/ear."""

    item: ReadinessItem
    ok: bool
    detail: str
    stream: str | None = None
    confirmed: bool = False

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(
            item=ReadinessItem(fields.string("item")),
            ok=fields.boolean("ok"),
            detail=fields.string("detail"),
            stream=fields.opt_string("stream"),
            confirmed=fields.boolean("confirmed"),
        )

    def to_fields(self) -> JsonObject:
        return without_none(
            {
                "item": str(self.item),
                "stream": self.stream,
                "ok": self.ok,
                "detail": self.detail,
                "confirmed": self.confirmed,
            },
            "stream",
        )


@dataclass(frozen=True, slots=True)
class ReadinessEvent:
    """The pre-hearing readiness check, done by ``by``: every item checked; ``ready`` when all passed."""

    TYPE: ClassVar[EventType] = EventType.READINESS
    checks: tuple[ReadinessCheck, ...]
    by: str

    @property
    def ready(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(
            checks=tuple(ReadinessCheck.from_fields(c) for c in fields.objects("checks")),
            by=fields.string("by"),
        )

    def to_fields(self) -> JsonObject:
        return {"checks": [check.to_fields() for check in self.checks], "by": self.by, "ready": self.ready}


@dataclass(frozen=True, slots=True)
class SealBeginEvent:
    """From here on the recording is sealed (excluded from public broadcast, replays and party
    grants unless a judge grants it): ``reason``, marked by ``by``. Recording continues."""

    TYPE: ClassVar[EventType] = EventType.SEAL_BEGIN
    reason: str
    by: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError("a sealed span needs a reason")

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(reason=fields.string("reason"), by=fields.string("by"))

    def to_fields(self) -> JsonObject:
        return {"reason": self.reason, "by": self.by}


@dataclass(frozen=True, slots=True)
class SealEndEvent:
    """The sealed span begun by the last ``seal_begin`` ends, marked by ``by``; ``reason`` says why
    when it is not the clerk's own end (e.g. :data:`BY_SYSTEM` ends it because the recording stops)."""

    TYPE: ClassVar[EventType] = EventType.SEAL_END
    by: str
    reason: str | None = None

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(by=fields.string("by"), reason=fields.opt_string("reason"))

    def to_fields(self) -> JsonObject:
        return without_none({"by": self.by, "reason": self.reason}, "reason")


ClerkEvent: TypeAlias = NoteEvent | ReadinessEvent | SealBeginEvent | SealEndEvent
"""What a clerk records in the journal besides pauses."""
