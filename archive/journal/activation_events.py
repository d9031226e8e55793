"""Journal events of a body camera's activation and deactivation: who or what pressed the button.

Part of :mod:`archive.journal.events`, which parses them; field names are those on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Self

from archive.journal.fields import FieldReader, JsonObject, without_none
from archive.journal.format import EventType


class ActivationTrigger(StrEnum):
    """What started or stopped a body camera's recording."""

    BUTTON = "button"  # a key on the device (its terminal)
    SIGNAL = "signal"  # SIGUSR1 / SIGUSR2 from the device's own button daemon
    CONSOLE = "console"  # the local control endpoint (the officer's or clerk's console)
    REMOTE = "remote"  # a request from the command centre, heard through the portal


def _trigger(fields: FieldReader) -> ActivationTrigger:
    text = fields.string("trigger")
    try:
        return ActivationTrigger(text)
    except ValueError as exc:
        accepted = ", ".join(t.value for t in ActivationTrigger)
        raise fields.fail(f"'trigger' must be one of {accepted} (got {text!r})") from exc


@dataclass(frozen=True, slots=True)
class ActivateEvent:
    """The body camera was activated by ``trigger``; ``by`` names who (an operator, a console user)
    when known. ``pre_event_seconds`` is the buffer window asked for (absent when none was kept)."""

    TYPE: ClassVar[EventType] = EventType.ACTIVATE
    trigger: ActivationTrigger
    by: str | None = None
    pre_event_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.pre_event_seconds is not None and not 0 <= self.pre_event_seconds <= 120:
            raise ValueError(f"'pre_event_seconds' must be between 0 and 120 (got {self.pre_event_seconds})")

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(
            trigger=_trigger(fields),
            by=fields.opt_string("by"),
            pre_event_seconds=fields.opt_number("pre_event_seconds"),
        )

    def to_fields(self) -> JsonObject:
        fields: JsonObject = {
            "trigger": str(self.trigger),
            "by": self.by,
            "pre_event_seconds": self.pre_event_seconds,
        }
        return without_none(fields, "by", "pre_event_seconds")


@dataclass(frozen=True, slots=True)
class DeactivateEvent:
    """The body camera was deactivated by ``trigger`` (``by`` as for :class:`ActivateEvent`)."""

    TYPE: ClassVar[EventType] = EventType.DEACTIVATE
    trigger: ActivationTrigger
    by: str | None = None

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(trigger=_trigger(fields), by=fields.opt_string("by"))

    def to_fields(self) -> JsonObject:
        return without_none({"trigger": str(self.trigger), "by": self.by}, "by")
