"""The pre-event ring keeps whole GOPs covering at least N seconds, starting on a keyframe."""

from __future__ import annotations

from fractions import Fraction

import pytest

from capture.bodycam.pre_event_ring import PreEventRing
from capture.recording.stream.packet_tap import EncodedVideoPacket

FPS = 10  # a keyframe every 10 packets: one GOP per second


def _packet(pts: int) -> EncodedVideoPacket:
    return EncodedVideoPacket(data=bytes(100), pts=pts, time_base=Fraction(1, FPS), keyframe=pts % FPS == 0)


def _fill(ring: PreEventRing, first: int, last: int) -> None:
    for pts in range(first, last + 1):
        ring.add(_packet(pts))


def test_it_keeps_the_newest_keyframe_at_least_n_seconds_old_and_all_after_it() -> None:
    ring = PreEventRing(3)
    _fill(ring, 0, 99)  # 10 s of pictures; the newest at 9.9 s
    held = ring.snapshot()
    assert held[0].keyframe and held[0].pts == 60  # 6.0 s: the newest keyframe at least 3 s before 9.9 s
    assert [p.pts for p in held] == list(range(60, 100))
    assert ring.size_bytes == 40 * 100


def test_the_window_never_drops_below_n_seconds() -> None:
    ring = PreEventRing(3)
    for last in range(120):
        ring.add(_packet(last))
        held = ring.snapshot()
        span = Fraction(held[-1].pts - held[0].pts, FPS)
        if last >= 30:  # once 3 s have been seen
            assert 3 <= span < 4 + Fraction(1, FPS), (last, span)


def test_packets_before_the_first_keyframe_are_not_kept() -> None:
    ring = PreEventRing(2)
    _fill(ring, 5, 12)
    assert [p.pts for p in ring.snapshot()] == [10, 11, 12]


def test_clear_forgets_everything() -> None:
    ring = PreEventRing(2)
    _fill(ring, 0, 30)
    ring.clear()
    assert ring.snapshot() == () and ring.size_bytes == 0


@pytest.mark.parametrize("seconds", [0, -1, 120.5])
def test_a_window_outside_0_to_120_seconds_is_refused(seconds: float) -> None:
    with pytest.raises(ValueError, match="0 < seconds <= 120"):
        PreEventRing(seconds)
