"""Cheap per-frame measurements for health checks: a luma thumbnail and an audio level.

They run on every frame of every source, so they avoid full-frame work: the thumbnail reads every
``step``-th pixel of the Y plane in place (no colour conversion), and only formats without an
8-bit luma plane pay for a downscaling conversion to grey.
"""

from __future__ import annotations

import math

import av
import numpy as np
from numpy.typing import NDArray

from devices.planes import plane_array

__all__ = ["audio_rms_dbfs", "luma_thumbnail"]

# Formats whose plane 0 is 8-bit luma, one byte per pixel.
_PLANAR_LUMA = frozenset(
    {
        "gray",
        "nv12",
        "nv16",
        "nv21",
        "nv24",
        "yuv410p",
        "yuv411p",
        "yuv420p",
        "yuv422p",
        "yuv440p",
        "yuv444p",
        "yuvj411p",
        "yuvj420p",
        "yuvj422p",
        "yuvj440p",
        "yuvj444p",
        "yuva420p",
        "yuva422p",
        "yuva444p",
    }
)
# Packed 4:2:2 formats (common from USB cameras): byte offset of the first Y in each 4-byte pair.
_PACKED_LUMA_OFFSET = {"yuyv422": 0, "yvyu422": 0, "uyvy422": 1}

# Full scale per sample dtype, so every format reads 0 dBFS at its largest magnitude.
_FULL_SCALE = {
    np.dtype(np.float32): 1.0,
    np.dtype(np.float64): 1.0,
    np.dtype(np.int16): 32768.0,
    np.dtype(np.int32): 2147483648.0,
}


def luma_thumbnail(frame: av.VideoFrame, step: int = 4) -> NDArray[np.uint8]:
    """Every ``step``-th luma sample in each direction, as a new contiguous uint8 array.

    Values are the frame's own Y code values (limited range: black is 16; full range ``yuvj``:
    black is 0). Formats without an 8-bit luma plane are converted to grey at the reduced size.
    """
    name = frame.format.name
    if name in _PLANAR_LUMA:
        return np.ascontiguousarray(plane_array(frame, 0)[::step, ::step])
    if name in _PACKED_LUMA_OFFSET:
        plane = frame.planes[0]
        flat = np.frombuffer(memoryview(plane), dtype=np.uint8)[: plane.line_size * frame.height]
        rows = flat.reshape(frame.height, plane.line_size)[::step, : 2 * frame.width]
        return np.ascontiguousarray(rows[:, _PACKED_LUMA_OFFSET[name] :: 2 * step])
    small = frame.reformat(
        width=max(1, frame.width // step), height=max(1, frame.height // step), format="gray"
    )
    return np.ascontiguousarray(plane_array(small, 0))


def audio_rms_dbfs(frame: av.AudioFrame) -> float:
    """RMS level of all samples of all channels in dB relative to full scale; ``-inf`` for zeros.

    A full-scale sine reads about -3 dBFS. Unsigned 8-bit audio is centred on 128 first.
    """
    samples = frame.to_ndarray()
    if samples.size == 0:
        return -math.inf
    if samples.dtype == np.uint8:
        values = (samples.astype(np.float64) - 128.0) / 128.0
    else:
        values = samples.astype(np.float64) / _FULL_SCALE[samples.dtype]
    mean_square = float(np.mean(np.square(values)))
    if mean_square <= 0.0:
        return -math.inf
    return 10.0 * math.log10(mean_square)
