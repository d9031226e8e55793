"""The synthetic source's moving test picture, rendered straight into yuv420p frames.

It must be cheap: the benchmarks encode it at 1280x720@30 and compare CPU use with FFmpeg's
``testsrc``. So nothing is converted from RGB per frame. Colour bars over a luma ramp are computed
once, in limited-range BT.601 YUV, at twice the frame width; frame N is a window of that strip
shifted by N*step pixels, i.e. one slice copy per plane into the new frame's own buffer. The frame
counter is drawn with ``cv2.putText`` on the Y plane only, inside a small box.
"""

from __future__ import annotations

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from devices.planes import plane_array

__all__ = ["MovingPattern"]

# 75 % colour bars (white, yellow, cyan, green, magenta, red, blue, black) as limited-range
# BT.601 Y, U, V: the classic order, so a human glancing at a recording recognises a test signal.
_BARS_YUV = np.array(
    [
        (180, 128, 128),
        (162, 44, 142),
        (131, 156, 44),
        (112, 72, 58),
        (84, 184, 198),
        (65, 100, 212),
        (35, 212, 114),
        (16, 128, 128),
    ],
    dtype=np.uint8,
)
_BLACK_Y = 16
_NEUTRAL_CHROMA = 128
_TEXT_Y = 235
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_COUNTER_DIGITS = 6


class MovingPattern:
    """Renders frame ``index`` of a horizontally scrolling bar pattern with a burned-in counter.

    The picture is a pure function of ``index``: rendering the same index twice gives identical
    pixels, which is how the synthetic source freezes its picture. Every call returns a new
    ``VideoFrame`` (consumers may keep frames), with ``pts``/``time_base`` left for the caller.
    """

    def __init__(self, width: int, height: int) -> None:
        if width % 2 or height % 2 or width < 16 or height < 16:
            raise ValueError(f"size must be even and at least 16x16 (got {width}x{height})")
        self.width = width
        self.height = height
        # An even step keeps the half-width chroma window aligned with the luma window.
        self._step = 2 * max(1, width // 320)
        self._y_strip, self._u_strip, self._v_strip = _build_strips(width, height)
        scale = height / 240 * 0.6
        self._thickness = max(1, round(height / 240 * 1.5))
        (text_w, text_h), baseline = cv2.getTextSize("0" * _COUNTER_DIGITS, _FONT, scale, self._thickness)
        pad = max(2, height // 60)
        self._scale = scale
        self._origin = (pad, pad + text_h)
        # The box is rounded up to even sizes so the chroma box covers it exactly.
        box_w = min(width, text_w + 2 * pad + 1) // 2 * 2
        box_h = min(height, text_h + baseline + 2 * pad + 1) // 2 * 2
        self._box = (box_w, box_h)

    def render(self, index: int) -> av.VideoFrame:
        """Return frame ``index``: the pattern shifted by ``index`` steps, counter showing ``index``."""
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        y, u, v = _planes(frame)
        offset = (index * self._step) % self.width
        np.copyto(y, self._y_strip[:, offset : offset + self.width])
        half = offset // 2
        np.copyto(u, self._u_strip[:, half : half + self.width // 2])
        np.copyto(v, self._v_strip[:, half : half + self.width // 2])
        self._draw_counter(y, u, v, index)
        return frame

    def render_black(self) -> av.VideoFrame:
        """Return an all-black frame (Y=16, neutral chroma) with no counter."""
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        y, u, v = _planes(frame)
        y.fill(_BLACK_Y)
        u.fill(_NEUTRAL_CHROMA)
        v.fill(_NEUTRAL_CHROMA)
        return frame

    def _draw_counter(
        self, y: NDArray[np.uint8], u: NDArray[np.uint8], v: NDArray[np.uint8], index: int
    ) -> None:
        box_w, box_h = self._box
        y[:box_h, :box_w] = _BLACK_Y
        u[: box_h // 2, : box_w // 2] = _NEUTRAL_CHROMA
        v[: box_h // 2, : box_w // 2] = _NEUTRAL_CHROMA
        text = f"{index % 10**_COUNTER_DIGITS:0{_COUNTER_DIGITS}d}"
        # Drawing into a view of the box keeps OpenCV's work (and clipping) inside the ROI.
        cv2.putText(y[:box_h, :box_w], text, self._origin, _FONT, self._scale, _TEXT_Y, self._thickness)


def _planes(frame: av.VideoFrame) -> tuple[NDArray[np.uint8], NDArray[np.uint8], NDArray[np.uint8]]:
    return plane_array(frame, 0), plane_array(frame, 1), plane_array(frame, 2)


def _build_strips(width: int, height: int) -> tuple[NDArray[np.uint8], NDArray[np.uint8], NDArray[np.uint8]]:
    """Y at full size and U, V at half size, each two periods wide so any window is one slice."""
    bar_of_column = np.arange(width) * len(_BARS_YUV) // width
    bars = _BARS_YUV[bar_of_column]  # (width, 3)
    y = np.empty((height, width), dtype=np.uint8)
    bars_rows = height * 2 // 3
    y[:bars_rows] = bars[:, 0]
    # A horizontal luma ramp under the bars shows scaling or clipping problems at a glance.
    y[bars_rows:] = np.linspace(_BLACK_Y, _TEXT_Y, width).astype(np.uint8)
    chroma_cols = bars[::2]
    u = np.full((height // 2, width // 2), _NEUTRAL_CHROMA, dtype=np.uint8)
    v = np.full((height // 2, width // 2), _NEUTRAL_CHROMA, dtype=np.uint8)
    u[: bars_rows // 2] = chroma_cols[:, 1]
    v[: bars_rows // 2] = chroma_cols[:, 2]
    return np.tile(y, (1, 2)), np.tile(u, (1, 2)), np.tile(v, (1, 2))
