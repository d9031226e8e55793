"""Face boxes, and which of them to mask in a given frame (held before and after each sighting).

A detector runs on every few frames only and misses a face now and then (a turn of the head, a
hand in front, motion blur). So a box is masked not only in the frame it was found in but in the
frames around it: ``hold_frames`` after (a missed detection does not reveal the face) and
``lead_frames`` before (a face entering between two detections is masked from its first frame,
since the public rendition is delayed anyway). The further a frame is from the sighting, the more
the box grows, to cover the face moving meanwhile.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned rectangle in pixels: left, top, width, height."""

    x: int
    y: int
    width: int
    height: int

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"a box has a positive size (got {self.width}x{self.height})")

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    def scaled(self, factor: float) -> Box:
        """This box in a picture ``factor`` times larger (rounded outwards)."""
        left, top = math.floor(self.x * factor), math.floor(self.y * factor)
        return Box(left, top, math.ceil(self.right * factor) - left, math.ceil(self.bottom * factor) - top)

    def grown(self, fraction: float) -> Box:
        """This box with ``fraction`` of its width (height) added on the left and right (top and bottom)."""
        dx, dy = math.ceil(self.width * fraction), math.ceil(self.height * fraction)
        return Box(self.x - dx, self.y - dy, self.width + 2 * dx, self.height + 2 * dy)

    def overlaps(self, other: Box) -> bool:
        """True when the two boxes share at least one pixel."""
        return (
            self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom
        )

    def union(self, other: Box) -> Box:
        """The smallest box holding both."""
        left, top = min(self.x, other.x), min(self.y, other.y)
        return Box(left, top, max(self.right, other.right) - left, max(self.bottom, other.bottom) - top)


def merge_overlapping(boxes: list[Box]) -> list[Box]:
    """Boxes that overlap replaced by their union, until none overlap (one blur per face)."""
    merged: list[Box] = []
    for box in boxes:
        grown = box
        while True:
            hit = next((index for index, other in enumerate(merged) if other.overlaps(grown)), None)
            if hit is None:
                break
            grown = grown.union(merged.pop(hit))
        merged.append(grown)
    return merged


@dataclass(frozen=True, slots=True)
class _Sighting:
    frame: int
    box: Box


class FaceHold:
    """Recent detections, and the (grown, merged) boxes to mask in a frame near them.

    ``margin`` is the fraction of a face's size added on every side; each frame between the
    sighting and the masked frame adds ``drift`` more. Frames are numbered by the caller,
    increasing; boxes for frame ``n`` are complete once detections up to ``n + lead_frames`` were
    recorded.
    """

    def __init__(
        self, *, hold_frames: int, lead_frames: int, margin: float = 0.35, drift: float = 0.02
    ) -> None:
        if hold_frames < 0 or lead_frames < 0:
            raise ValueError(f"hold and lead are frame counts >= 0 (got {hold_frames}, {lead_frames})")
        self.hold_frames = hold_frames
        self.lead_frames = lead_frames
        self._margin = margin
        self._drift = drift
        self._sightings: deque[_Sighting] = deque()

    def record(self, frame: int, boxes: list[Box]) -> None:
        """Remember the faces detected in ``frame`` and forget those too old to matter."""
        self._sightings.extend(_Sighting(frame, box) for box in boxes)
        horizon = frame - self.hold_frames - self.lead_frames
        while self._sightings and self._sightings[0].frame < horizon:
            self._sightings.popleft()

    def boxes(self, frame: int) -> list[Box]:
        """The boxes to mask in ``frame``: every sighting from ``hold_frames`` before to
        ``lead_frames`` after it, grown by the margin and the drift, overlapping ones merged."""
        near = [
            s.box.grown(self._margin + self._drift * abs(frame - s.frame))
            for s in self._sightings
            if frame - self.hold_frames <= s.frame <= frame + self.lead_frames
        ]
        return merge_overlapping(near)
