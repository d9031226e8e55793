"""Face boxes: grown, merged, and held before and after each sighting for a bounded number of frames."""

from __future__ import annotations

import pytest

from streaming.public.face_boxes import Box, FaceHold, merge_overlapping

FACE = Box(100, 50, 40, 40)


def test_box_geometry() -> None:
    assert FACE.grown(0.25) == Box(90, 40, 60, 60)
    assert Box(10, 11, 5, 5).scaled(4.0) == Box(40, 44, 20, 20)
    assert FACE.overlaps(Box(139, 89, 10, 10)) and not FACE.overlaps(Box(140, 50, 10, 10))
    with pytest.raises(ValueError, match="positive size"):
        Box(0, 0, 0, 10)


def test_overlapping_boxes_merge_into_one_and_others_stay_apart() -> None:
    far = Box(250, 10, 20, 20)
    chained = [Box(0, 0, 10, 10), far, Box(20, 0, 10, 10), Box(8, 0, 14, 10)]  # the last links the first two
    assert sorted(merge_overlapping(chained), key=lambda b: b.x) == [Box(0, 0, 30, 10), far]


def test_a_sighting_is_held_for_hold_frames_after_and_lead_frames_before_with_a_growing_margin() -> None:
    hold = FaceHold(hold_frames=6, lead_frames=3, margin=0.25, drift=0.05)
    hold.record(10, [FACE])
    assert hold.boxes(10) == [FACE.grown(0.25)]
    assert hold.boxes(7) == [FACE.grown(0.25 + 3 * 0.05)]  # masked before it was seen
    assert hold.boxes(16) == [FACE.grown(0.25 + 6 * 0.05)]  # and after: wider, the face may have moved
    assert hold.boxes(6) == [] and hold.boxes(17) == []  # but not for ever
    hold.record(13, [])  # a missed detection changes nothing
    assert hold.boxes(14) == [FACE.grown(0.25 + 4 * 0.05)]


def test_nearby_sightings_are_masked_as_one_box_and_old_ones_are_forgotten() -> None:
    hold = FaceHold(hold_frames=4, lead_frames=2)
    hold.record(0, [FACE])
    hold.record(2, [Box(104, 50, 40, 40)])  # the same face, moved
    assert len(hold.boxes(2)) == 1
    hold.record(20, [])
    assert hold.boxes(2) == []  # beyond hold + lead of the newest frame: dropped
