"""Burning the synchronised UTC time and a room/case caption into the picture (2017 rules, art. 4).

Drawn with OpenCV straight into the frame's planes, in a band along the bottom: no copy or colour
conversion of the frame, so the cost stays a small fraction of the encode.
"""

from __future__ import annotations

from datetime import datetime

import av
import cv2
import numpy as np

_WHITE = 235
_BLACK = 16
_NEUTRAL_CHROMA = 128


class Overlay:
    """Draws ``YYYY-MM-DD HH:MM:SS.mmm UTC  caption`` onto yuv420p frames of one size."""

    def __init__(self, width: int, height: int, caption: str) -> None:
        # OpenCV's Hershey fonts draw ASCII only; anything else would come out as '?' boxes anyway.
        self._caption = caption.encode("ascii", "replace").decode("ascii")
        self._scale = max(0.35, height / 720 * 0.9)
        self._thickness = max(1, round(height / 360))
        self._band = (int(28 * self._scale / 0.9) + 8) // 2 * 2  # even: whole chroma rows
        self._width = width
        self._height = height

    def apply(self, frame: av.VideoFrame, now: datetime) -> av.VideoFrame:
        """Burn the time and caption into ``frame`` (converted to yuv420p at our size if it is not).

        Draws in place when the frame's buffers are its own; ``make_writable`` copies them first
        when they are shared (e.g. a decoder's reference picture, which must not be altered).
        """
        if frame.format.name != "yuv420p" or frame.width != self._width or frame.height != self._height:
            converted = frame.reformat(width=self._width, height=self._height, format="yuv420p")
            converted.pts, converted.time_base = frame.pts, frame.time_base
            frame = converted
        frame.make_writable()
        luma = _plane(frame, 0, self._height)
        band = luma[self._height - self._band :, : self._width]
        band[:] = _BLACK
        text = f"{now:%Y-%m-%d %H:%M:%S}.{now.microsecond // 1000:03d} UTC  {self._caption}"
        cv2.putText(
            band,
            text,
            (6, self._band - 8),
            cv2.FONT_HERSHEY_SIMPLEX,
            self._scale,
            _WHITE,
            self._thickness,
            cv2.LINE_AA,
        )
        chroma_rows = self._band // 2
        for index in (1, 2):
            chroma = _plane(frame, index, self._height // 2)
            chroma[self._height // 2 - chroma_rows :, : self._width // 2] = _NEUTRAL_CHROMA
        return frame


def _plane(frame: av.VideoFrame, index: int, rows: int) -> np.ndarray:
    """A writable 2-D numpy view of plane ``index`` (rows x line size), without copying."""
    plane = frame.planes[index]
    return np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(rows, plane.line_size)
