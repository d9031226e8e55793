"""A recording's timeline as the player shows it: the continuous runs of a stream and the breaks
between them (a restart, a fault, a pause: every place the journal says the picture did not go on),
and the marks the journal places on it (notes, pauses, gaps, readiness checks, sealed spans)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from archive.export import StreamTrack
from archive.journal import NoteKind, PauseReason
from portal.review.journal_marks import GAP_CAUSE_NAMES, GapCause, JournalMarks


@dataclass(frozen=True, slots=True)
class TimelineRun:
    """Segments played without a break: from ``start`` to ``end`` seconds of the player's time."""

    start: float
    end: float
    segments: int
    percent: float  # of the whole playing time (for the bar)
    after_break: bool  # a break (gap) comes before this run


@dataclass(frozen=True, slots=True)
class Timeline:
    """The runs of one stream and its number of breaks."""

    runs: tuple[TimelineRun, ...]
    total_seconds: float

    @property
    def breaks(self) -> int:
        return sum(1 for run in self.runs if run.after_break)


def track_timeline(track: StreamTrack) -> Timeline:
    """The runs of ``track`` split at every discontinuity after its first segment."""
    total = track.duration
    runs: list[TimelineRun] = []
    start = position = 0.0
    count = 0
    after_break = False
    for index, segment in enumerate(track.segments):
        if index > 0 and segment.discontinuity:
            runs.append(_run(start, position, count, total, after_break))
            start, count, after_break = position, 0, True
        position += segment.duration
        count += 1
    if count:
        runs.append(_run(start, position, count, total, after_break))
    return Timeline(tuple(runs), total)


def _run(start: float, end: float, segments: int, total: float, after_break: bool) -> TimelineRun:
    percent = 100.0 * (end - start) / total if total > 0 else 100.0
    return TimelineRun(start, end, segments, round(percent, 3), after_break)


class MarkKind(StrEnum):
    """What a mark on the player's timeline shows."""

    NOTE = "note"
    PAUSE = "pause"
    GAP = "gap"
    READINESS = "readiness"
    SEALED = "sealed"


PAUSE_REASONS = {
    PauseReason.RECESS: "休庭",
    PauseReason.NON_PUBLIC_EVIDENCE: "不公开质证的证据",
    PauseReason.MEDIATION: "调解",
    PauseReason.OTHER: "其他",
}
NOTE_KINDS = {
    NoteKind.SPEAKER: "发言",
    NoteKind.EXHIBIT: "出示证据",
    NoteKind.EVENT: "庭审事件",
    NoteKind.TEXT: "记录",
}


@dataclass(frozen=True, slots=True)
class TimelineMark:
    """One mark on the timeline: ``kind`` at wall time ``at``, from ``position`` to ``end`` seconds of
    the player's time (``end`` is ``position`` for a moment; both None when the stream's time is not
    known), a short Chinese ``label`` and its ``detail``."""

    kind: MarkKind
    at: datetime
    position: float | None
    end: float | None
    label: str
    detail: str

    def percent(self, total: float) -> float | None:
        return None if self.position is None or total <= 0 else round(100.0 * self.position / total, 3)

    def width(self, total: float) -> float:
        if self.position is None or self.end is None or total <= 0:
            return 0.0
        return round(100.0 * max(0.0, self.end - self.position) / total, 3)


def timeline_marks(
    marks: JournalMarks, stream: str, *, explanations: Mapping[int, str], sealed_withheld: bool
) -> tuple[TimelineMark, ...]:
    """The marks of ``stream``'s timeline in wall-time order: notes, pauses (with their reason in
    Chinese), gaps (with the judge's explanation where given), readiness checks and sealed spans
    ("已封存" when withheld from the viewer, whose playing time then closes up over them)."""
    found: list[TimelineMark] = []

    def span(start: datetime, end: datetime | None) -> tuple[float | None, float | None]:
        first = marks.position(stream, start)
        last = marks.position(stream, end) if end is not None else marks.playing_seconds(stream)
        return first, last

    for note in marks.notes:
        at = marks.position(stream, note.at)
        found.append(
            TimelineMark(MarkKind.NOTE, note.at, at, at, NOTE_KINDS[note.kind], f"{note.text}（{note.by}）")
        )
    for pause in marks.pauses:
        reason = PAUSE_REASONS[pause.code] if pause.code is not None else "暂停"
        words = pause.reason if pause.code in (None, PauseReason.OTHER) else reason
        detail = f"{words}{f'（{pause.by}）' if pause.by else ''}"
        found.append(
            TimelineMark(
                MarkKind.PAUSE, pause.start, *span(pause.start, pause.end), f"暂停：{reason}", detail
            )
        )
    for gap in marks.gaps:
        if gap.cause == GapCause.PAUSE or (gap.streams and stream not in gap.streams):
            continue  # a pause is shown as a pause; another stream's gap is not this one's
        explained = explanations.get(gap.key)
        detail = f"法官说明：{explained}" if explained else "尚无法官说明"
        found.append(
            TimelineMark(
                MarkKind.GAP,
                gap.start,
                *span(gap.start, gap.end),
                f"中断：{GAP_CAUSE_NAMES[gap.cause]}",
                detail,
            )
        )
    for check in marks.readiness:
        at = marks.position(stream, check.at)
        failed = [c.item.value + (f" {c.stream}" if c.stream else "") for c in check.checks if not c.ok]
        detail = "全部通过" if check.ready else "未通过：" + "、".join(failed or ["无检查项"])
        found.append(
            TimelineMark(
                MarkKind.READINESS,
                check.at,
                at,
                at,
                "庭前检查" + ("通过" if check.ready else "未通过"),
                detail,
            )
        )
    for sealed in marks.sealed:
        label = "已封存" if sealed_withheld else "封存部分"
        detail = "未经法官准许不能查看" if sealed_withheld else f"{sealed.reason}（{sealed.by}）"
        found.append(
            TimelineMark(MarkKind.SEALED, sealed.start, *span(sealed.start, sealed.end), label, detail)
        )
    return tuple(sorted(found, key=lambda mark: mark.at))
