"""What the clerk has marked in the recording in progress and is still open: a pause (with its 2017
art. 3 reason), a sealed span, and the last readiness check. The journal holds every mark for good;
this is the service's memory of the open ones, for the state reports and the console. The open pause
and sealed span are also kept in the service state (through ``persist``), so a restart, a kill -9
included, finds them still open; so is the last readiness check, so the console still shows it."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from archive import ArchiveError
from archive.journal import PauseReason, ReadinessEvent
from archive.journal.fields import FieldReader


@dataclass(frozen=True, slots=True)
class PauseMark:
    """The recording is paused since ``since`` (UTC) for ``code`` (words: ``reason``), by ``by``."""

    code: PauseReason
    reason: str
    by: str
    since: datetime

    def to_fields(self) -> dict[str, str]:
        return {"code": str(self.code), "reason": self.reason, "by": self.by, "since": self.since.isoformat()}

    @classmethod
    def parse(cls, fields: Mapping[str, object]) -> PauseMark:
        """The mark :meth:`to_fields` wrote; ValueError, KeyError or TypeError when damaged."""
        return cls(
            PauseReason(str(fields["code"])),
            str(fields["reason"]),
            str(fields["by"]),
            _moment(fields["since"]),
        )


@dataclass(frozen=True, slots=True)
class SealMark:
    """A sealed span is open since ``since`` (UTC) for ``reason``, begun by ``by``."""

    reason: str
    by: str
    since: datetime

    def to_fields(self) -> dict[str, str]:
        return {"reason": self.reason, "by": self.by, "since": self.since.isoformat()}

    @classmethod
    def parse(cls, fields: Mapping[str, object]) -> SealMark:
        """The mark :meth:`to_fields` wrote; ValueError, KeyError or TypeError when damaged."""
        return cls(str(fields["reason"]), str(fields["by"]), _moment(fields["since"]))


@dataclass(frozen=True, slots=True)
class ReadinessMark:
    """The last readiness check of the recording and when it was done (UTC)."""

    event: ReadinessEvent
    at: datetime

    def to_body(self) -> dict[str, object]:
        """The check as the state report carries it (the journal event's fields plus ``at``)."""
        return {"at": self.at.isoformat(), **self.event.to_fields()}

    def to_fields(self) -> dict[str, object]:
        """The check as the service state keeps it (the same fields as :meth:`to_body`)."""
        return self.to_body()

    @classmethod
    def parse(cls, fields: Mapping[str, object], *, where: str) -> ReadinessMark:
        """The mark :meth:`to_fields` wrote; ValueError naming ``where`` when damaged."""
        try:
            event = ReadinessEvent.from_fields(FieldReader(fields, where))
            return cls(event, _moment(fields["at"]))
        except (ArchiveError, KeyError, TypeError) as exc:
            raise ValueError(f"{where}: the readiness check is damaged ({exc})") from exc


@dataclass(frozen=True, slots=True)
class RecordingMarks:
    """The open marks of one recording."""

    recording_id: str | None = None
    pause: PauseMark | None = None
    seal: SealMark | None = None
    readiness: ReadinessMark | None = None


MarksPersister = Callable[[RecordingMarks], None]
"""Told (under the marks' lock, so in order) of a recording's marks after any of them changed."""


class ClerkMarks:
    """The open marks of each recording in progress (two overlap at a hand-over between back-to-back
    hearings); a new recording starts with none."""

    def __init__(
        self, restored: RecordingMarks | None = None, *, persist: MarksPersister | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._marks: dict[str, RecordingMarks] = {}
        if restored is not None and restored.recording_id is not None:
            self._marks[restored.recording_id] = restored
        self._persist = persist

    def of(self, recording_id: str) -> RecordingMarks:
        """The marks of ``recording_id`` (none when it has none)."""
        with self._lock:
            return self._marks.get(recording_id) or RecordingMarks(recording_id)

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
            marks = self._marks.get(recording_id) or RecordingMarks(recording_id)
            if not isinstance(pause, bool):
                marks = dataclasses.replace(marks, pause=pause)
            if not isinstance(seal, bool):
                marks = dataclasses.replace(marks, seal=seal)
            if not isinstance(readiness, bool):
                marks = dataclasses.replace(marks, readiness=readiness)
            self._marks[recording_id] = marks
            changed = not all(isinstance(mark, bool) for mark in (pause, seal, readiness))
            if self._persist is not None and changed:
                self._persist(marks)

    def close(self, recording_id: str) -> RecordingMarks:
        """Forget the marks of ``recording_id`` (its recording stops); returns them as they were, for
        the open pause and sealed span to be ended in its journal."""
        with self._lock:
            return self._marks.pop(recording_id, None) or RecordingMarks(recording_id)


def _moment(value: object) -> datetime:
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"a mark's time must carry its zone (got {value!r})")
    return moment
