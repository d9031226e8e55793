"""HLS VOD playlists built from journal events (archive.export.playlist)."""

from __future__ import annotations

import pytest

from archive.errors import JournalError
from archive.export.playlist import PlaylistSegment, StreamTrack, build_vod_playlist, tracks_from_journal
from archive.journal.incident_events import GapEvent
from archive.journal.run_events import StopEvent
from archive.journal.segment_events import SegmentEvent
from tests.archive.journal_builders import journal_lines, line_of, segment_event, start_event


def _segment(stream: str, number: int, duration: float | None = 2.0, init: str = "init.mp4") -> SegmentEvent:
    return segment_event(stream, number, "ab" * 32, duration=duration, init=f"{stream}/{init}")


_GAP = GapEvent(
    stream="cam",
    start="2026-01-01T09:00:04+00:00",
    end="2026-01-01T09:00:09+00:00",
    reason="restart",
    seconds=5,
)


def _urls(track: StreamTrack) -> str:
    return build_vod_playlist(
        track, segment_url=lambda s: f"/media/{s.object}", init_url=lambda init: f"/media/{init}"
    )


def test_playlist_lists_every_segment_with_its_duration() -> None:
    events = [
        start_event("a-key"),
        _segment("cam", 1),
        _segment("mic", 1),
        _segment("cam", 2, 1.5),
        StopEvent(reason="hearing closed"),
    ]
    tracks = tracks_from_journal(journal_lines(events))
    assert sorted(tracks) == ["cam", "mic"]
    assert _urls(tracks["cam"]) == (
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:1\n"
        "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        '#EXT-X-MAP:URI="/media/cam/init.mp4"\n'
        "#EXTINF:2.000000,\n/media/cam/00000001.m4s\n"
        "#EXTINF:1.500000,\n/media/cam/00000002.m4s\n"
        "#EXT-X-ENDLIST\n"
    )
    assert tracks["cam"].duration == 3.5
    assert tracks["cam"].find("cam/00000002.m4s") is not None
    assert tracks["cam"].inits == frozenset({"cam/init.mp4"})


def test_new_init_or_gap_marks_a_discontinuity() -> None:
    events = [
        _segment("cam", 1),
        _segment("cam", 2, init="init-2.mp4"),
        _GAP,
        _segment("cam", 3, init="init-2.mp4"),
    ]
    text = _urls(tracks_from_journal(journal_lines(events))["cam"])
    assert text.count("#EXT-X-DISCONTINUITY") == 2
    assert text.count("#EXT-X-MAP:") == 2
    assert text.index("#EXT-X-DISCONTINUITY") < text.index('#EXT-X-MAP:URI="/media/cam/init-2.mp4"')


def test_target_duration_rounds_up() -> None:
    text = _urls(tracks_from_journal(journal_lines([_segment("cam", 1, 6.066667)]))["cam"])
    assert "#EXT-X-TARGETDURATION:7\n" in text


def test_bad_events_and_urls_are_refused() -> None:
    with pytest.raises(JournalError, match="seq 0: segment without a duration"):
        tracks_from_journal(journal_lines([_segment("cam", 1, None)]))
    (good,) = journal_lines([_segment("cam", 1)])
    with pytest.raises(JournalError, match=r"seq 0 .*'duration' must be a number"):
        tracks_from_journal([line_of({**good.fields, "duration": "long"})])
    with pytest.raises(ValueError, match="no sealed segments"):
        _urls(StreamTrack("cam", ()))
    track = StreamTrack("cam", (PlaylistSegment("cam", 1, "cam/1.m4s", "cam/init.mp4", 1.0, "ab" * 32),))
    with pytest.raises(ValueError, match="quotes or line breaks"):
        build_vod_playlist(track, segment_url=lambda s: "x\n#EXT-X-ENDLIST", init_url=lambda i: "/init")
    with pytest.raises(ValueError, match="duration"):
        PlaylistSegment("cam", 1, "o", "i", float("nan"), "ab")
