"""Burning the synchronised UTC time and a room/case caption into the picture (2017 rules, art. 4).

Drawn with OpenCV on the luma plane only, in a band at the bottom: no colour conversion of the frame,
so the cost stays a small fraction of the encode.
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
        self._band = int(28 * self._scale / 0.9) + 8
        self._width = width
        self._height = height

    def apply(self, frame: av.VideoFrame, now: datetime) -> av.VideoFrame:
        """Return a yuv420p copy of ``frame`` with the time and caption burned in."""
        if frame.format.name != "yuv420p" or frame.width != self._width or frame.height != self._height:
            frame = frame.reformat(width=self._width, height=self._height, format="yuv420p")
        planes: np.ndarray = frame.to_ndarray()
        text = f"{now:%Y-%m-%d %H:%M:%S}.{now.microsecond // 1000:03d} UTC  {self._caption}"
        # a band along the bottom, so a source's own marks at the top (e.g. a frame counter) stay visible
        band = planes[self._height - self._band : self._height, :]
        band[:] = _BLACK
        chroma_rows = -(-self._band // 4)  # yuv420p as one array: U then V, each h/4 rows of width w
        u_end = self._height + self._height // 4
        v_end = u_end + self._height // 4
        planes[u_end - chroma_rows : u_end] = _NEUTRAL_CHROMA
        planes[v_end - chroma_rows : v_end] = _NEUTRAL_CHROMA
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
        result = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        result.pts = frame.pts
        result.time_base = frame.time_base
        return result
