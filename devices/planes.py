"""Zero-copy numpy views of video frame planes."""

from __future__ import annotations

import av
import numpy as np
from numpy.typing import NDArray

__all__ = ["plane_array"]


def plane_array(frame: av.VideoFrame, index: int) -> NDArray[np.uint8]:
    """A 2-D uint8 view (rows x bytes of the visible width) of plane ``index`` of ``frame``.

    The view shares the frame's memory (writes change the frame) and leaves out the row padding
    FFmpeg adds for alignment (``line_size`` may exceed the width). For packed formats a row holds
    ``width * bytes_per_pixel`` bytes; this returns ``plane.width`` bytes, which is right for 8-bit
    planar formats and the first ``width`` bytes otherwise.
    """
    plane = frame.planes[index]
    flat = np.frombuffer(memoryview(plane), dtype=np.uint8)[: plane.line_size * plane.height]
    return flat.reshape(plane.height, plane.line_size)[:, : plane.width]
