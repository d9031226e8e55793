"""A wall-clock timestamp burned into the picture as black/white blocks, for glass-to-glass latency.

The synthetic source's ``clock=1`` option stamps each video frame, at the moment it is delivered,
with the UTC time in milliseconds (low 32 bits) plus an 8-bit checksum: 40 square blocks in one
row under the frame counter, each ``width // 40`` pixels, white for 1 and black for 0. Blocks that
large survive H.264 at any sensible bitrate; :func:`read_clock_stamp` samples each block's centre
on the luma plane of the decoded picture at the viewer and checks the checksum.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["CLOCK_BITS", "read_clock_stamp", "stamp_clock"]

CLOCK_BITS = 32
_CHECK_BITS = 8
_BLOCKS = CLOCK_BITS + _CHECK_BITS
_WHITE = 235
_BLACK = 16


def _geometry(width: int, height: int) -> tuple[int, int]:
    """(block size, top row) of the stamp: under the top-left counter box."""
    block = max(4, width // _BLOCKS)
    top = max(block, height // 8)
    return block, top


def _checksum(value: int) -> int:
    return (value ^ (value >> 8) ^ (value >> 16) ^ (value >> 24) ^ 0x5A) & 0xFF


def stamp_clock(luma: NDArray[np.uint8], milliseconds: int) -> None:
    """Draw ``milliseconds`` (mod 2**32) into the luma plane ``luma`` (height x width), in place."""
    height, width = luma.shape
    block, top = _geometry(width, height)
    value = milliseconds & 0xFFFFFFFF
    word = (value << _CHECK_BITS) | _checksum(value)
    for index in range(_BLOCKS):
        bit = (word >> (_BLOCKS - 1 - index)) & 1
        luma[top : top + block, index * block : (index + 1) * block] = _WHITE if bit else _BLACK


def read_clock_stamp(luma: NDArray[np.uint8]) -> int | None:
    """The stamped milliseconds (mod 2**32) of a decoded luma plane, or None when the checksum fails."""
    height, width = luma.shape
    block, top = _geometry(width, height)
    centre = top + block // 2
    word = 0
    for index in range(_BLOCKS):
        sample = int(luma[centre, index * block + block // 2])
        word = (word << 1) | (1 if sample > (_WHITE + _BLACK) // 2 else 0)
    value, check = word >> _CHECK_BITS, word & 0xFF
    return value if _checksum(value) == check else None
