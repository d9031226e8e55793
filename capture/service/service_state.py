"""What the service must remember across a restart (a kill -9 included): the hearing it is
recording and that recording's id (so a restart resumes the same recording, the gap journaled by
the recorder), the clerk's open pause and sealed span in it (so the recording is still paused or
sealed after the restart) and its last readiness check (still shown on the console), and the hearings
it has finished (so none is recorded twice)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from capture.service.clerk_marks import PauseMark, ReadinessMark, RecordingMarks, SealMark
from capture.service.durable_file import replace_durably
from capture.service.schedule.schedule import ScheduledHearing, ScheduleError, hearing_fields, parse_hearing

logger = logging.getLogger(__name__)

STATE_NAME = "service-state.json"
_KEEP_FINISHED = 500  # hearing ids remembered as finished (weeks of hearings in one room)


@dataclass(slots=True)
class ActiveRecording:
    """The recording in progress: which hearing, which recording id, the clerk's open pause and
    sealed span in it, and its last readiness check. ``spans_closed``: the service's stop journaled
    their ends (a restart that resumes the recording journals them open again)."""

    hearing: ScheduledHearing
    recording_id: str
    pause: PauseMark | None = None
    seal: SealMark | None = None
    spans_closed: bool = False
    readiness: ReadinessMark | None = None

    @property
    def marks(self) -> RecordingMarks:
        """The open pause and sealed span and the last readiness check as the clerk's marks."""
        return RecordingMarks(self.recording_id, pause=self.pause, seal=self.seal, readiness=self.readiness)


@dataclass(slots=True)
class ServiceState:
    """The recording in progress (if any) and the finished hearing ids, in ``directory``."""

    directory: Path
    active: ActiveRecording | None = None
    finished: list[int] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.directory / STATE_NAME

    @classmethod
    def load(cls, directory: Path) -> ServiceState:
        """The saved state, or an empty one (a damaged file is logged and kept as ``.bad``)."""
        state = cls(directory)
        try:
            document = json.loads(state.path.read_bytes())
            state.finished = [int(h) for h in document.get("finished", [])]
            active = document.get("active")
            if active is not None:
                hearing = parse_hearing(active["hearing"], where=str(state.path))
                pause, seal = active.get("pause"), active.get("seal")
                state.active = ActiveRecording(
                    hearing,
                    str(active["recording_id"]),
                    pause=None if pause is None else PauseMark.parse(pause),
                    seal=None if seal is None else SealMark.parse(seal),
                    spans_closed=bool(active.get("spans_closed", False)),
                    readiness=_readiness(active.get("readiness"), str(state.path)),
                )
        except FileNotFoundError:
            pass
        except (ValueError, KeyError, TypeError, ScheduleError) as exc:
            logger.error("service state %s is damaged (%s); kept as .bad, starting afresh", state.path, exc)
            state.path.replace(state.path.with_suffix(".bad"))
        return state

    def save(self) -> None:
        """Write the state durably (raises OSError when the disk refuses)."""
        active = None
        if self.active is not None:
            active = {
                "hearing": hearing_fields(self.active.hearing),
                "recording_id": self.active.recording_id,
                "pause": None if self.active.pause is None else self.active.pause.to_fields(),
                "seal": None if self.active.seal is None else self.active.seal.to_fields(),
                "spans_closed": self.active.spans_closed,
                "readiness": None if self.active.readiness is None else self.active.readiness.to_fields(),
            }
        document = {"active": active, "finished": self.finished[-_KEEP_FINISHED:]}
        replace_durably(self.path, json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def _readiness(fields: object, where: str) -> ReadinessMark | None:
    """The kept readiness check; a damaged one is logged and dropped (the journal holds it for good,
    and the console only shows it): the recording, its pause and its seal are restored all the same."""
    if fields is None:
        return None
    try:
        if not isinstance(fields, dict):
            raise ValueError(f"{where}: the readiness check is not an object (got {fields!r})")
        return ReadinessMark.parse(fields, where=where)
    except ValueError as exc:
        logger.error("service state: %s; the last readiness check is not shown", exc)
        return None
