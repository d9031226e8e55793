"""The journal marks the portal reads (gaps, pauses, notes, readiness, sealed spans) and where they
fall on a stream's playing time — from chains built like a writer's (tests/archive/journal_builders)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from archive.journal import (
    GapEvent,
    JournalEvent,
    NoteEvent,
    NoteKind,
    PauseEvent,
    PauseReason,
    ReadinessCheck,
    ReadinessEvent,
    ReadinessItem,
    ResumeEvent,
    SealBeginEvent,
    SealEndEvent,
    StopEvent,
)
from archive.journal.events import line_fields
from archive.journal.format import GENESIS_PREV, JournalLine
from portal.review.journal_marks import GapCause, marks_from_journal
from portal.review.timeline import MarkKind, timeline_marks
from tests.archive.journal_builders import line_of, segment_event, start_event

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)  # the builders' segment 1 starts here, 6 s each
SHA = "ab" * 32


def _chain(events: list[tuple[float, JournalEvent]]) -> list[JournalLine]:
    lines: list[JournalLine] = []
    prev = GENESIS_PREV
    for seq, (second, event) in enumerate(events):
        at = (T0 + timedelta(seconds=second)).isoformat(timespec="microseconds")
        lines.append(line_of(line_fields(event, seq=seq, prev=prev, at=at, recording_id="rec-1")))
        prev = lines[-1].digest
    return lines


def _segments(*numbers: int) -> list[tuple[float, JournalEvent]]:
    return [(n * 6.0, segment_event("cam", n, SHA)) for n in numbers]


def test_a_note_falls_where_it_was_taken_and_a_break_closes_up() -> None:
    gap = GapEvent(
        "cam",
        (T0 + timedelta(seconds=12)).isoformat(),
        (T0 + timedelta(seconds=18)).isoformat(),
        "source gave no frames",
        6.0,
    )
    # segments 1, 2 and 4 (nothing from 12 s to 18 s): the player plays 18 s
    events = [(0.0, start_event("k")), *_segments(1, 2), (18.5, gap), *_segments(4)]
    events.append((20.0, NoteEvent(NoteKind.EXHIBIT, "原告出示借条", "书记员甲")))
    marks = marks_from_journal(_chain(events))
    assert marks.position("cam", T0 + timedelta(seconds=4.5)) == 4.5
    assert marks.position("cam", T0 + timedelta(seconds=15)) == 12.0  # in the gap: the next segment
    assert marks.position("cam", T0 + timedelta(seconds=20)) == 14.0  # 2 s into segment 4
    assert marks.position("cam", T0 - timedelta(seconds=3)) == 0.0
    assert marks.position("mic", T0) is None
    [mark] = [
        m
        for m in timeline_marks(marks, "cam", explanations={}, sealed_withheld=False)
        if m.kind == MarkKind.NOTE
    ]
    assert (mark.position, mark.label) == (14.0, "出示证据") and "原告出示借条" in mark.detail


def test_gaps_of_every_cause_are_listed_one_per_incident() -> None:
    start, end = (T0 + timedelta(seconds=12)).isoformat(), (T0 + timedelta(seconds=15)).isoformat()
    restart = start_event("k", reason="resumed after a stop")
    events = [
        (0.0, start_event("k")),
        *_segments(1, 2),
        (15.0, GapEvent("cam", start, end, "recorder restarted after an unclean stop", 3.0)),
        (15.0, GapEvent("mic", start, end, "recorder restarted after an unclean stop", 3.0)),
        (16.0, GapEvent("cam", end, end, "spool disk full: nothing could be written", 0.0)),
        (20.0, PauseEvent("休庭", PauseReason.RECESS, "书记员甲")),
        (30.0, ResumeEvent("继续开庭", "书记员甲")),
        (40.0, StopEvent("hearing closed")),
        (50.0, dataclasses.replace(restart, run=2)),
        (60.0, PauseEvent("合议", PauseReason.OTHER, "书记员甲")),  # never resumed
    ]
    marks = marks_from_journal(_chain(events))
    causes = [(gap.cause, gap.streams, gap.seconds) for gap in marks.gaps]
    assert causes == [
        (GapCause.RESTART, ("cam", "mic"), 3.0),  # two streams' lines, one incident
        (GapCause.DISK, ("cam",), 0.0),
        (GapCause.PAUSE, (), 10.0),
        (GapCause.RESTART, (), 10.0),  # from the stop to the new run
        (GapCause.PAUSE, (), None),
    ]
    assert len({gap.key for gap in marks.gaps}) == 5 and all(len(gap.sha256) == 64 for gap in marks.gaps)
    assert [(p.code, p.end is None) for p in marks.pauses] == [
        (PauseReason.RECESS, False),
        (PauseReason.OTHER, True),
    ]
    shown = timeline_marks(marks, "cam", explanations={marks.gaps[0].key: "停电"}, sealed_withheld=False)
    assert [m.label for m in shown if m.kind == MarkKind.PAUSE] == ["暂停：休庭", "暂停：其他"]
    assert next(m.detail for m in shown if m.kind == MarkKind.GAP) == "法官说明：停电"


def test_a_sealed_span_withholds_the_segments_it_touches_and_what_was_noted_in_it() -> None:
    events = [
        (0.0, start_event("k")),
        (
            1.0,
            ReadinessEvent(
                (ReadinessCheck(ReadinessItem.STORAGE, ok=False, detail="剩余 1 小时"),), "书记员甲"
            ),
        ),
        *_segments(1, 2, 3),
        (7.0, SealBeginEvent("不公开质证的证据", "书记员甲")),
        (8.0, NoteEvent(NoteKind.TEXT, "证人甲陈述", "书记员甲")),
        (11.0, SealEndEvent("书记员甲")),
        (13.0, SealBeginEvent("商业秘密", "书记员甲")),  # never closed: to the end
    ]
    marks = marks_from_journal(_chain(events))
    assert marks.sealed_objects("cam") == {"cam/00000002.m4s", "cam/00000003.m4s"}
    assert marks.is_sealed(T0 + timedelta(seconds=8)) and not marks.is_sealed(T0 + timedelta(seconds=12))
    party = marks.without(marks.sealed_objects("cam"))
    assert party.notes == () and party.playing_seconds("cam") == 6.0
    shown = timeline_marks(party, "cam", explanations={}, sealed_withheld=True)
    assert [m.label for m in shown if m.kind == MarkKind.SEALED] == ["已封存", "已封存"]
    assert [m.label for m in shown if m.kind == MarkKind.READINESS] == ["庭前检查未通过"]
    staff = timeline_marks(marks, "cam", explanations={}, sealed_withheld=False)
    assert next(m.detail for m in staff if m.kind == MarkKind.SEALED) == "不公开质证的证据（书记员甲）"
    assert (
        marks_from_journal(_chain([(0.0, start_event("k")), *_segments(1)])).sealed_objects("cam")
        == frozenset()
    )
