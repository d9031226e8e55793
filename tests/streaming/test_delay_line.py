"""The broadcast delay and the cut, without any media."""

from streaming.public.delay_line import BroadcastState, DelayLine, ProducedSegment
from timebase import ManualClock


def _segment(generation: int, at: float, init_number: int = 1) -> ProducedSegment:
    return ProducedSegment(generation, b"x", 1.0, at, init_number)


def test_segments_wait_for_the_delay() -> None:
    line = DelayLine(delay_seconds=30, window_segments=3, target_seconds=2)
    assert line.produce(_segment(1, 100.0))
    assert line.take_due(129.9) == []
    assert len(line.take_due(130.0)) == 1


def test_cut_withholds_everything_pending_and_later_segments_of_that_generation() -> None:
    line = DelayLine(delay_seconds=30, window_segments=3, target_seconds=2)
    line.produce(_segment(1, 100.0))
    line.produce(_segment(1, 101.0))
    assert line.cut() == 2
    assert line.state is BroadcastState.CUT
    assert line.take_due(1000.0) == []
    assert not line.produce(_segment(1, 102.0))  # packaged before the cut, finished after it
    line.resume()
    assert not line.produce(_segment(1, 103.0))  # still the old generation
    assert line.produce(_segment(2, 104.0))
    assert len(line.take_due(134.0)) == 1


def test_playlist_window_discontinuity_and_end() -> None:
    line = DelayLine(delay_seconds=0, window_segments=2, target_seconds=1)
    expired = []
    for index in range(3):
        expired += line.record(_segment(1, 0), f"0001-{index + 1:06d}.m4s", "init-0001.mp4")
    line.cut()
    assert "#EXT-X-ENDLIST" not in line.playlist()  # a cut playlist stays live: it may resume
    line.resume()
    expired += line.record(_segment(2, 0, 2), "0002-000004.m4s", "init-0002.mp4")
    assert [s.name for s in expired] == ["0001-000001.m4s"]
    playlist = line.playlist()
    assert "#EXT-X-MEDIA-SEQUENCE:2\n" in playlist and "#EXT-X-TARGETDURATION:1\n" in playlist
    marker = "\n#EXT-X-DISCONTINUITY\n"
    assert (
        playlist.index('URI="init-0001.mp4"') < playlist.index(marker) < playlist.index('URI="init-0002.mp4"')
    )
    assert "#EXT-X-ENDLIST" not in playlist
    line.end()
    assert line.playlist().rstrip().endswith("#EXT-X-ENDLIST")


def test_the_window_never_holds_less_than_three_target_durations() -> None:
    line = DelayLine(delay_seconds=0, window_segments=3, target_seconds=2)  # 3 x 1 s < 3 x 2 s
    expired = []
    for index in range(8):
        expired += line.record(_segment(1, 0), f"0001-{index + 1:06d}.m4s", "init-0001.mp4")
    assert len(expired) == 2  # six 1 s segments stay listed
    assert line.playlist().count("#EXTINF:") == 6


def test_a_restarted_packager_starts_a_discontinuity_within_a_generation() -> None:
    line = DelayLine(delay_seconds=0, window_segments=5, target_seconds=2)
    line.record(_segment(1, 0, 1), "0001-000001.m4s", "init-0001.mp4")
    line.record(_segment(1, 0, 1), "0001-000002.m4s", "init-0001.mp4")
    line.record(_segment(1, 0, 2), "0002-000003.m4s", "init-0002.mp4")  # no cut: the packager failed
    playlist = line.playlist()
    assert playlist.count("#EXT-X-DISCONTINUITY\n") == 1
    assert playlist.index("0001-000002.m4s") < playlist.index("#EXT-X-DISCONTINUITY\n")
    assert playlist.index("#EXT-X-DISCONTINUITY\n") < playlist.index('URI="init-0002.mp4"')


def test_without_a_time_given_segments_are_due_by_the_line_s_clock() -> None:
    clock = ManualClock()
    line = DelayLine(delay_seconds=30, window_segments=3, target_seconds=2, clock=clock)
    assert line.produce(_segment(1, clock.monotonic()))
    clock.advance(29.9)
    assert line.take_due() == []
    clock.advance(0.1)
    assert len(line.take_due()) == 1
