"""Typed journal events: the union of every event a journal line records, and one parser.

A journal line is an envelope (``v``, ``seq``, ``prev``, ``type``, ``at``, ``recording_id``, kept
by :class:`~archive.journal.format.JournalLine`) around the event's own fields. Each event is a
frozen dataclass in the module of its family:

- :mod:`archive.journal.run_events`: start, stop, pause, resume;
- :mod:`archive.journal.segment_events`: init, origin, segment, checkpoint (the sealed objects and
  the signed Merkle roots over them);
- :mod:`archive.journal.incident_events`: gap, clock step, alarm, recording failed, repair;
- :mod:`archive.journal.activation_events`: a body camera's activate and deactivate;
- :mod:`archive.journal.clerk_events`: notes, readiness checks, sealed spans.

The writer takes these events (:meth:`~archive.journal.writer.JournalWriter.append`) and every reader
turns a line back into one with :func:`parse_event`, which raises JournalError naming the line's
``seq`` and what was wrong. Field names and values are exactly those on disk: encoding a parsed event
gives the line's bytes again (:func:`line_fields`), so old journals parse, verify and re-encode
unchanged.

``alarm`` lines hold two events: :class:`RecordingFailedEvent` (condition ``recording_failed``: a
stream's media worker failed and is restarted) and :class:`AlarmEvent` (every other condition).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from archive.journal.activation_events import ActivateEvent, DeactivateEvent
from archive.journal.clerk_events import NoteEvent, ReadinessEvent, SealBeginEvent, SealEndEvent
from archive.journal.fields import FieldReader, JsonObject, parse_typed
from archive.journal.format import FORMAT_VERSION, EventType, JournalLine
from archive.journal.incident_events import (
    RECORDING_FAILED,
    AlarmEvent,
    ClockStepEvent,
    GapEvent,
    RecordingFailedEvent,
    RepairEvent,
)
from archive.journal.run_events import PauseEvent, ResumeEvent, StartEvent, StopEvent
from archive.journal.segment_events import CheckpointEvent, InitEvent, OriginEvent, SegmentEvent

__all__ = ["JournalEvent", "line_fields", "parse_event"]


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
    return parse_typed(line, _PARSERS, log="journal", kind="event")


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
