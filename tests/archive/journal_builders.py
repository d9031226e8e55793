"""Complete journal events for tests that build journals, with only what a test cares about given."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from archive.journal.events import JournalEvent, line_fields
from archive.journal.format import GENESIS_PREV, JournalLine, SegmentFlag, encode_line, parse_line
from archive.journal.run_events import StartEvent
from archive.journal.segment_events import SegmentEvent
from archive.journal.stream_declaration import AudioDeclaration, StreamDeclaration, VideoDeclaration

_T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def start_event(
    public_key: str, *, reason: str = "hearing opened", case: str | None = "(2026)test-1"
) -> StartEvent:
    """A start event of device ``dev-1`` announcing ``public_key``, with one camera stream."""
    return StartEvent(
        device_id="dev-1",
        public_key=public_key,
        court="court-1",
        room="room-1",
        case=case,
        run=1,
        reason=reason,
        object_prefix="recordings/court-1/2026/01/01/rec-1",
        streams=(
            StreamDeclaration(
                name="cam",
                source="synthetic:",
                video=VideoDeclaration(width=640, height=360, fps="30", codec="h264"),
                audio=AudioDeclaration(sample_rate=48000, channels=1, codec="aac"),
            ),
        ),
    )


def segment_event(
    stream: str,
    segment: int,
    sha256: str,
    *,
    duration: float | None = 6.0,
    init: str | None = None,
    flags: tuple[SegmentFlag, ...] = (),
) -> SegmentEvent:
    """Sealed segment ``segment`` of ``stream`` (``cam/00000001.m4s``), ``duration`` seconds long."""
    start = (segment - 1) * 6.0
    return SegmentEvent(
        stream=stream,
        segment=segment,
        object=f"{stream}/{segment:08d}.m4s",
        sha256=sha256,
        size=1000 + segment,
        init=f"{stream}/init.mp4" if init is None else init,
        start_seconds=start,
        end_seconds=None if duration is None else start + duration,
        duration=duration,
        t_start_utc=(_T0 + timedelta(seconds=start)).isoformat(),
        t_end_utc=None if duration is None else (_T0 + timedelta(seconds=start + duration)).isoformat(),
        flags=flags,
    )


def journal_lines(events: Iterable[JournalEvent], recording_id: str = "rec-1") -> list[JournalLine]:
    """The chained lines a writer would write for ``events`` (seq from 0), one second apart."""
    lines: list[JournalLine] = []
    prev = GENESIS_PREV
    for seq, event in enumerate(events):
        at = (_T0 + timedelta(seconds=seq)).isoformat(timespec="microseconds")
        lines.append(line_of(line_fields(event, seq=seq, prev=prev, at=at, recording_id=recording_id)))
        prev = lines[-1].digest
    return lines


def line_of(fields: Mapping[str, object]) -> JournalLine:
    """The journal line encoding ``fields`` as they are (for lines no valid event would give)."""
    return parse_line(encode_line(fields), where="test line")
