"""Typed journal events: each parses and re-encodes to the same bytes; malformed lines name their seq."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.errors import JournalError
from archive.journal.activation_events import ActivateEvent, ActivationTrigger, DeactivateEvent
from archive.journal.chain import read_chain
from archive.journal.clerk_events import (
    NoteEvent,
    NoteKind,
    PauseReason,
    ReadinessCheck,
    ReadinessEvent,
    ReadinessItem,
    SealBeginEvent,
    SealEndEvent,
)
from archive.journal.events import JournalEvent, line_fields, parse_event
from archive.journal.format import EventType, SegmentFlag, encode_line
from archive.journal.incident_events import (
    AlarmEvent,
    ClockStepEvent,
    GapEvent,
    RecordingFailedEvent,
    RepairEvent,
)
from archive.journal.run_events import PauseEvent, ResumeEvent, StopEvent
from archive.journal.segment_events import CheckpointEvent, InitEvent, OriginEvent, SegmentEvent
from archive.journal.signing.device_key import load_or_create_device_key
from archive.journal.writer import JournalWriter, list_chunks
from tests.archive.journal_builders import journal_lines, line_of, segment_event, start_event

DIGEST = "ab" * 32

# A journal as the writer wrote it before events were typed (``append(EventType.X, **fields)``): one
# line of every event and shape, byte for byte. Typed events must parse it and encode it unchanged.
_OLD_FORMAT_JOURNAL = (Path(__file__).parent / "data" / "journal-v1.jsonl").read_bytes()

EVERY_EVENT: list[JournalEvent] = [
    start_event("a-key"),
    start_event("a-key", case=None),
    InitEvent(stream="cam", object="cam/init.mp4", sha256=DIGEST, size=812),
    segment_event("cam", 1, DIGEST),
    segment_event("cam", 2, DIGEST, duration=None, flags=(SegmentFlag.RECOVERED,)),
    segment_event("cam", 3, DIGEST, flags=(SegmentFlag.PRE_EVENT,)),
    SegmentEvent(
        stream="cam",
        segment=3,
        object="cam/00000003.m4s",
        sha256=DIGEST,
        size=10,
        init=None,
        start_seconds=None,
        end_seconds=None,
        duration=None,
        t_start_utc=None,
        t_end_utc=None,
        flags=(SegmentFlag.PARTIAL,),
        raw_size=99,
        raw_kept_as="cam/00000003.m4s.torn",
    ),
    PauseEvent(reason="recess"),
    PauseEvent(reason="休庭", code=PauseReason.RECESS, by="书记员 李明"),
    ResumeEvent(reason="hearing resumed"),
    ResumeEvent(reason="继续开庭", by="书记员 李明"),
    NoteEvent(kind=NoteKind.EXHIBIT, text="原告出示证据一", by="书记员 李明"),
    ReadinessEvent(
        checks=(
            ReadinessCheck(
                item=ReadinessItem.CAMERA, stream="cam", ok=True, detail="画面正常", confirmed=True
            ),
            ReadinessCheck(item=ReadinessItem.STORAGE, ok=False, detail="剩余 1.5 小时"),
        ),
        by="书记员 李明",
    ),
    SealBeginEvent(reason="不公开质证的证据", by="书记员 李明"),
    SealEndEvent(by="书记员 李明"),
    GapEvent(
        stream="cam",
        start="2026-01-01T09:00:00+00:00",
        end="2026-01-01T09:00:05+00:00",
        reason="r",
        seconds=5.0,
    ),
    AlarmEvent(condition="no_frames", active=True, stream="cam"),
    AlarmEvent(condition="integrity", active=True, object="p/cam/1.m4s", detail="BadDigest"),
    RecordingFailedEvent(stream="cam", detail="encoder died"),
    RepairEvent(
        reason="torn journal line cut after a crash", torn_bytes=3, torn_sha256=DIGEST, kept_as="t.bin"
    ),
    RepairEvent(reason="torn segment without a complete fragment", stream="cam", raw_size=7, raw_kept_as="x"),
    CheckpointEvent(tree_size=3, root=DIGEST, public_key="a-key", signature="c2ln"),
    OriginEvent(stream="cam", t_origin_utc="2026-01-01T09:00:05.250000+00:00"),
    ClockStepEvent(
        step_seconds=-119.6,
        expected="2026-01-01T09:02:00+00:00",
        observed="2026-01-01T09:00:00.400000+00:00",
        reason="wall clock stepped while recording",
    ),
    ActivateEvent(trigger=ActivationTrigger.REMOTE, by="operator wang", pre_event_seconds=30.0),
    ActivateEvent(trigger=ActivationTrigger.BUTTON),
    DeactivateEvent(trigger=ActivationTrigger.SIGNAL),
    DeactivateEvent(trigger=ActivationTrigger.CONSOLE, by="clerk li"),
    StopEvent(reason="hearing closed", failures=("mic: no device",)),
]


@pytest.mark.parametrize("event", EVERY_EVENT, ids=lambda e: type(e).__name__)
def test_every_event_parses_back_to_itself_and_the_same_bytes(event: JournalEvent) -> None:
    (line,) = journal_lines([event])
    assert parse_event(line) == event
    fields = line_fields(event, seq=0, prev=line.prev, at=line.at, recording_id="rec-1")
    assert encode_line(fields) == line.raw


def test_an_existing_format_journal_parses_verifies_and_round_trips_identically() -> None:
    report = read_chain([("000001.jsonl", _OLD_FORMAT_JOURNAL)])
    assert report.intact, report.problems
    newer = {
        EventType.ORIGIN,
        EventType.CLOCK_STEP,
        EventType.ACTIVATE,
        EventType.DEACTIVATE,
        EventType.NOTE,
        EventType.READINESS,
        EventType.SEAL_BEGIN,
        EventType.SEAL_END,
    }  # types added after that journal was written
    assert {line.type for line in report.lines} == {t.value for t in EventType} - newer
    for line in report.lines:
        fields = line_fields(
            parse_event(line), seq=line.seq, prev=line.prev, at=line.at, recording_id=str(line.recording_id)
        )
        assert encode_line(fields) == line.raw, line.seq


def test_the_writer_writes_what_it_was_given(tmp_path: Path) -> None:
    key = load_or_create_device_key(tmp_path / "device.pem")
    with JournalWriter.open(tmp_path / "j", "rec-1", key) as journal:
        for event in EVERY_EVENT[:-1]:
            journal.append(event)
        journal.checkpoint()
    report = read_chain((p.name, p.read_bytes()) for p in list_chunks(tmp_path / "j"))
    assert [parse_event(line) for line in report.lines[:-1]] == EVERY_EVENT[:-1]
    assert isinstance(parse_event(report.lines[-1]), CheckpointEvent)


def _malformed(type_: str, **changes: object) -> dict[str, object]:
    (line,) = journal_lines([segment_event("cam", 1, DIGEST)])
    fields = {**line.fields, "seq": 7, "type": type_, **changes}
    return {key: value for key, value in fields.items() if value is not _DROP}


_DROP = object()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (_malformed("segment", sha256=_DROP), r"journal seq 7 \(segment\): missing field 'sha256'"),
        (
            _malformed("segment", size="12"),
            r"journal seq 7 \(segment\): 'size' must be an integer \(got '12'\)",
        ),
        (_malformed("segment", segment=True), r"journal seq 7 .*'segment' must be an integer"),
        (_malformed("segment", segment=0), r"journal seq 7 \(segment\): 'segment' must be >= 1"),
        (_malformed("segment", sha256="xyz"), r"journal seq 7 .*'sha256' must be 64 lowercase hex"),
        (_malformed("segment", flags=["odd"]), r"journal seq 7 .*unknown segment flag"),
        (_malformed("segment", duration="long"), r"journal seq 7 .*'duration' must be a number"),
        (_malformed("teleport"), r"journal seq 7: unknown event type 'teleport'"),
        (_malformed("start"), r"journal seq 7 \(start\): missing field 'device_id'"),
        (_malformed("alarm", condition="recording_failed", active=False), r"seq 7 .*must be active"),
        (_malformed("activate", trigger="elbow"), r"seq 7 \(activate\): 'trigger' must be one of button"),
        (_malformed("deactivate"), r"journal seq 7 \(deactivate\): missing field 'trigger'"),
        (
            _malformed("activate", trigger="remote", pre_event_seconds=121),
            r"seq 7 \(activate\): 'pre_event_seconds' must be between 0 and 120",
        ),
    ],
)
def test_a_malformed_line_is_refused_naming_its_seq(fields: dict[str, object], message: str) -> None:
    with pytest.raises(JournalError, match=message):
        parse_event(line_of(fields))


def test_unknown_fields_are_ignored_and_optional_ones_may_be_absent() -> None:
    (line,) = journal_lines([segment_event("cam", 1, DIGEST)])
    fields = {key: value for key, value in line.fields.items() if key not in ("init", "t_start_utc")}
    event = parse_event(line_of({**fields, "from_a_newer_writer": 1}))
    assert isinstance(event, SegmentEvent) and event.init is None and event.t_start_utc is None


_text = st.text(max_size=12)
_number = st.one_of(st.integers(0, 10**9), st.floats(0, 1e6, allow_nan=False, allow_infinity=False))


@given(
    stream=_text,
    segment=st.integers(1, 10**6),
    size=st.integers(0, 10**12),
    init=st.none() | _text,
    seconds=st.none() | _number,
    flags=st.lists(st.sampled_from(list(SegmentFlag)), max_size=2).map(tuple),
    raw=st.none() | st.tuples(st.integers(0, 10**9), _text),
)
def test_segments_round_trip_property(
    stream: str,
    segment: int,
    size: int,
    init: str | None,
    seconds: float | None,
    flags: tuple[SegmentFlag, ...],
    raw: tuple[int, str] | None,
) -> None:
    event = SegmentEvent(
        stream=stream,
        segment=segment,
        object=f"{stream}/x.m4s",
        sha256=DIGEST,
        size=size,
        init=init,
        start_seconds=seconds,
        end_seconds=seconds,
        duration=seconds,
        t_start_utc=None,
        t_end_utc=None,
        flags=flags,
        raw_size=None if raw is None else raw[0],
        raw_kept_as=None if raw is None else raw[1],
    )
    (line,) = journal_lines([event])
    assert parse_event(line) == event
    assert (
        encode_line(line_fields(event, seq=0, prev=line.prev, at=line.at, recording_id="rec-1")) == line.raw
    )


@given(
    condition=_text.filter(lambda c: c != "recording_failed"), active=st.booleans(), detail=st.none() | _text
)
def test_alarms_round_trip_property(condition: str, active: bool, detail: str | None) -> None:
    event = AlarmEvent(condition=condition, active=active, stream="cam", detail=detail)
    (line,) = journal_lines([event])
    assert parse_event(line) == event


@pytest.mark.parametrize(
    ("event_type", "fields", "problem"),
    [
        ("note", {"kind": "gossip", "text": "x", "by": "a"}, "gossip"),
        ("note", {"kind": "text", "text": "  ", "by": "a"}, "needs text"),
        ("pause", {"reason": "r", "code": "lunch"}, "lunch"),
        (
            "readiness",
            {"checks": [{"item": "camera", "ok": "yes", "detail": "", "confirmed": False}], "by": "a"},
            "ok",
        ),
        ("seal_begin", {"reason": "", "by": "a"}, "reason"),
    ],
)
def test_a_clerk_event_with_a_bad_field_is_refused_naming_it(
    event_type: str, fields: dict[str, object], problem: str
) -> None:
    line = line_of(
        {"v": 1, "seq": 4, "prev": "0" * 64, "type": event_type, "at": "2026-01-01T00:00:00+00:00", **fields}
    )
    with pytest.raises(JournalError, match=problem):
        parse_event(line)


def test_a_readiness_check_is_ready_only_when_every_item_passed() -> None:
    good = ReadinessCheck(item=ReadinessItem.MICROPHONE, stream="mic-1", ok=True, detail="-20 dBFS")
    bad = ReadinessCheck(item=ReadinessItem.UPLOAD, ok=False, detail="积压 40 段")
    assert ReadinessEvent(checks=(good,), by="a").ready
    assert not ReadinessEvent(checks=(good, bad), by="a").ready
    assert not ReadinessEvent(checks=(), by="a").ready
