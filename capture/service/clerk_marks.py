"""What the clerk has marked in the recording in progress and is still open: a pause (with its 2017
art. 3 reason), a sealed span, and the last readiness check. The journal holds every mark for good;
this is the service's memory of the open ones, for the state reports and the console."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from datetime import datetime

from archive.journal import PauseReason, ReadinessEvent


@dataclass(frozen=True, slots=True)
class PauseMark:
    """The recording is paused since ``since`` (UTC) for ``code`` (words: ``reason``), by ``by``."""

    code: PauseReason
    reason: str
    by: str
    since: datetime


@dataclass(frozen=True, slots=True)
class SealMark:
    """A sealed span is open since ``since`` (UTC) for ``reason``, begun by ``by``."""

    reason: str
    by: str
    since: datetime


@dataclass(frozen=True, slots=True)
class ReadinessMark:
    """The last readiness check of the recording and when it was done (UTC)."""

    event: ReadinessEvent
    at: datetime

    def to_body(self) -> dict[str, object]:
        """The check as the state report carries it (the journal event's fields plus ``at``)."""
        return {"at": self.at.isoformat(), **self.event.to_fields()}


@dataclass(frozen=True, slots=True)
class RecordingMarks:
    """The open marks of one recording."""

    recording_id: str | None = None
    pause: PauseMark | None = None
    seal: SealMark | None = None
    readiness: ReadinessMark | None = None


class ClerkMarks:
    """The open marks of the recording in progress; a new recording starts with none."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._marks = RecordingMarks()

    def of(self, recording_id: str) -> RecordingMarks:
        """The marks of ``recording_id`` (none when it is not the one marked last)."""
        with self._lock:
            marks = self._marks
        return marks if marks.recording_id == recording_id else RecordingMarks(recording_id)

    def set(
        self,
        recording_id: str,
        *,
        pause: PauseMark | bool | None = False,
        seal: SealMark | bool | None = False,
        readiness: ReadinessMark | bool | None = False,
    ) -> None:
        """Replace the given marks of ``recording_id`` (False: leave as is; None: clear)."""
        with self._lock:
            marks = self._marks if self._marks.recording_id == recording_id else RecordingMarks(recording_id)
            if not isinstance(pause, bool):
                marks = dataclasses.replace(marks, pause=pause)
            if not isinstance(seal, bool):
                marks = dataclasses.replace(marks, seal=seal)
            if not isinstance(readiness, bool):
                marks = dataclasses.replace(marks, readiness=readiness)
            self._marks = marks
