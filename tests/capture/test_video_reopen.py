"""A video source reopened after a failure, whose timestamps start again at 0, is placed after its last
recorded picture plus the time away (journaled as a gap): none of its pictures is dropped as late. A
picture that goes back within one opening is still late: dropped, counted and journaled."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import pytest

from archive.preservation.verify import find_prefix, verify_recording
from archive.store.object_store import ObjectStore
from capture.recording.stream.video_timeline import FrameGap, FramePlace, VideoTimeline
from devices import Source, open_source, parse_source_spec

from .conftest import RunAgent, journal_events
from .journaled_pipeline import journaled_pipeline

REOPENED = "the source was reopened after a failure"
LATE = "a late or repeated video frame could not be recorded"

# -- the timeline, with explicit timestamps ------------------------------------------------------------


def test_a_reopened_source_counting_from_zero_goes_on_after_its_time_away() -> None:
    timeline = VideoTimeline(15)
    assert [timeline.place(pts, pts - 1) for pts in range(3)] == [FramePlace(0), FramePlace(1), FramePlace(2)]
    timeline.resume(1.0)
    assert timeline.place(0, 29) == FramePlace(45, FrameGap(30, 45))  # 15 slots of time away
    assert timeline.place(1, 45) == FramePlace(46)  # and on by its own timestamps, without another gap


def test_a_picture_going_back_within_one_opening_stays_late() -> None:
    timeline = VideoTimeline(15)
    assert timeline.place(10, 20) == FramePlace(10)  # at or before the last: the caller drops it
    timeline.resume(0.0)
    assert timeline.place(0, 20) == FramePlace(21)  # a reopen with no time away: right after, no gap
    assert timeline.place(0, 21) == FramePlace(21)  # the same picture again is late


# -- a real pipeline and journal --------------------------------------------------------------------------


class _Rewinding:
    """A real synthetic source that hands over pictures 10-14 again after picture 20 (late pictures
    of the same opening, as a device that re-sent part of its buffer)."""

    def __init__(self, real: Source) -> None:
        self._real = real
        self.video = real.video
        self.audio = real.audio
        self.spec = real.spec  # type: ignore[attr-defined]

    def frames(self) -> Iterator[av.VideoFrame | av.AudioFrame]:
        for frame in self._real.frames():
            yield frame
            if frame.pts == 20:
                for again in range(10, 15):
                    copy = av.VideoFrame.from_ndarray(frame.to_ndarray(format="yuv420p"), format="yuv420p")
                    copy.pts, copy.time_base = again, frame.time_base
                    yield copy

    def close(self) -> None:
        self._real.close()


def _record(tmp_path: Path, opens: list[Callable[[], Source]]) -> tuple[list[dict[str, object]], list[int]]:
    """Record the sources ``opens`` open, one after the other (each reopen after a failure), until
    the last ends; the journal's gaps and the recorded pictures' timestamps."""

    def open_next() -> Source:  # the first call opens the first source, each reopen the next
        return opens.pop(0)()

    with journaled_pipeline(tmp_path, "rec-reopen", open_next) as recording:
        pipeline = recording.pipeline
        pipeline.start()
        for thread in pipeline._threads:  # the last source ends by itself (end_after): wait for the seal
            thread.join(timeout=60)
        pipeline.stop()
        assert pipeline.failure is None
        gaps = [line.fields for line in recording.journal.history if line.type == "gap"]
    assert recording.chain_intact()
    return gaps, _recorded_pts(recording.spool.stream_dir("cam"))


def _recorded_pts(directory: Path) -> list[int]:
    """The recorded pictures' frame slots at 15 fps."""
    init = next(directory.glob("init*.mp4")).read_bytes()
    pts: list[int] = []
    for segment in sorted(directory.glob("*.m4s")):
        with av.open(io.BytesIO(init + segment.read_bytes())) as container:
            pts.extend(round(float(frame.time or 0) * 15) for frame in container.decode(video=0))
    return pts


@pytest.mark.integration
def test_no_picture_of_a_reopened_source_is_dropped_and_its_time_away_is_journaled(tmp_path: Path) -> None:
    first = parse_source_spec("synthetic#audio=0&fail_after=1")  # pictures 0-14, then unplugged
    again = parse_source_spec("synthetic#audio=0&end_after=1")  # counts from 0 again: 0-14
    gaps, pts = _record(tmp_path, [lambda: open_source(first), lambda: open_source(again)])
    assert not any(LATE in str(gap["reason"]) for gap in gaps), gaps
    (away,) = [gap for gap in gaps if REOPENED in str(gap["reason"])]
    assert away["stream"] == "cam" and 1.0 <= float(str(away["seconds"])) < 3.0  # reopened after 1 s
    assert len(pts) == 30, pts  # all 15 + 15 pictures
    assert pts == sorted(set(pts))
    resumed_at = pts[15] / 15
    assert resumed_at == pytest.approx(1.0 + float(str(away["seconds"])), abs=0.1)


@pytest.mark.integration
def test_a_late_picture_of_the_same_opening_is_still_dropped_and_counted(tmp_path: Path) -> None:
    spec = parse_source_spec("synthetic#audio=0&end_after=2&realtime=0")
    gaps, pts = _record(tmp_path, [lambda: _Rewinding(open_source(spec))])
    (late,) = [gap for gap in gaps if LATE in str(gap["reason"])]
    assert str(late["reason"]).startswith("5 video frame(s) lost"), late
    assert not any(REOPENED in str(gap["reason"]) for gap in gaps)
    assert len(pts) == 30 and pts == sorted(set(pts))  # 0-29 once each, the 5 again dropped


# -- through the agent, the store and verify ------------------------------------------------------------


@pytest.mark.integration
def test_a_camera_failing_again_and_again_archives_intact(
    tmp_path: Path, run_agent: RunAgent, object_store: ObjectStore
) -> None:
    spool = tmp_path / "spool"
    source = "synthetic#size=320x240&fps=15&audio=0&fail_after=1.5&name=cam"  # each opening: 0-22
    result = run_agent(
        *("record", "--room", "court-3", "--case", "2026-civ-1", "--recording-id", "rec-reopens"),
        *("--spool", str(spool), "--duration", "6", "--segment-seconds", "2", "--source", source),
    )
    assert result.returncode == 0, result.stderr
    report = verify_recording(object_store, "rec-reopens")
    assert report.intact, report.problems
    events = journal_events(spool, "rec-reopens")
    gaps = [str(e["reason"]) for e in events if e["type"] == "gap"]
    reopens = sum(REOPENED in reason for reason in gaps)
    assert reopens >= 1 and not any(LATE in reason for reason in gaps), gaps
    prefix = find_prefix(object_store, "rec-reopens")
    init = next(e for e in events if e["type"] == "init" and e["stream"] == "cam")
    head = object_store.read_bytes(f"{prefix}/{init['object']}")
    pictures = 0
    for segment in (e for e in events if e["type"] == "segment"):
        media = object_store.read_bytes(f"{prefix}/{segment['object']}")
        with av.open(io.BytesIO(head + media)) as container:
            pictures += sum(1 for _ in container.decode(video=0))
    assert pictures >= 23 * reopens + 1  # every opening before the last gave all its 23 pictures
