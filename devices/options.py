"""Parsers for the values of source-spec options (``size=1280x720``, ``fps=30000/1001``, ...).

Each parser takes the raw text after ``=`` and returns a typed value, or raises ``ValueError``
whose message says what is accepted (``spec.py`` turns it into a ``SourceSpecError`` naming the
option). The spec parser validates with these same functions, so a source that re-parses an
option of a validated spec cannot fail.

Patterns use ASCII classes on purpose: ``int()`` and ``float()`` accept non-ASCII digits and
``"nan"``/``"inf"``, none of which belong in a spec.
"""

from __future__ import annotations

import re
from fractions import Fraction

__all__ = [
    "MAX_FPS",
    "parse_choice",
    "parse_flag",
    "parse_fps",
    "parse_frequency",
    "parse_int",
    "parse_name",
    "parse_pixel_format",
    "parse_seconds",
    "parse_size",
]

MAX_FPS = 240
_MAX_WIDTH = 7680
_MAX_HEIGHT = 4320
_MIN_SIDE = 16
_MAX_SECONDS = 1_000_000.0

_SIZE = re.compile(r"([0-9]{1,5})x([0-9]{1,5})", re.ASCII)
_FPS = re.compile(r"[0-9]{1,6}(?:/[0-9]{1,6}|\.[0-9]{1,6})?", re.ASCII)
_DECIMAL = re.compile(r"[0-9]{1,7}(?:\.[0-9]{1,6})?", re.ASCII)
_INTEGER = re.compile(r"[0-9]{1,7}", re.ASCII)
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}", re.ASCII)
_PIXEL_FORMAT = re.compile(r"[a-z0-9_]{1,32}", re.ASCII)


def parse_size(text: str) -> tuple[int, int]:
    """Parse ``WxH`` (pixels, both even, 16..7680 by 16..4320); even because yuv420p halves both."""
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValueError(f"must be WxH in pixels, e.g. 1280x720 (got {text!r})")
    width, height = int(match[1]), int(match[2])
    if not (_MIN_SIDE <= width <= _MAX_WIDTH and _MIN_SIDE <= height <= _MAX_HEIGHT):
        raise ValueError(
            f"must be between {_MIN_SIDE}x{_MIN_SIDE} and {_MAX_WIDTH}x{_MAX_HEIGHT} (got {text!r})"
        )
    if width % 2 or height % 2:
        raise ValueError(f"width and height must be even (got {text!r})")
    return width, height


def parse_fps(text: str) -> Fraction:
    """Parse a frame rate in frames per second: ``30``, ``29.97`` or ``30000/1001``; 0 < fps <= 240."""
    if _FPS.fullmatch(text) is None:
        raise ValueError(f"must be a positive number or ratio, e.g. 15 or 30000/1001 (got {text!r})")
    denominator = text.partition("/")[2]
    if denominator and int(denominator) == 0:
        raise ValueError(f"must not divide by zero (got {text!r})")
    fps = Fraction(text)
    if not 0 < fps <= MAX_FPS:
        raise ValueError(f"must be > 0 and <= {MAX_FPS} (got {text!r})")
    return fps


def parse_flag(text: str) -> bool:
    """Parse ``1`` (on) or ``0`` (off)."""
    if text not in ("0", "1"):
        raise ValueError(f"must be 0 or 1 (got {text!r})")
    return text == "1"


def parse_seconds(text: str, *, allow_zero: bool = True) -> float:
    """Parse a duration in seconds (decimal, e.g. ``2.5``), at most 1e6; zero only if ``allow_zero``."""
    if _DECIMAL.fullmatch(text) is None:
        raise ValueError(f"must be a number of seconds, e.g. 2.5 (got {text!r})")
    seconds = float(text)
    if seconds > _MAX_SECONDS or (seconds == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"must be {bound} and <= {_MAX_SECONDS:.0f} seconds (got {text!r})")
    return seconds


def parse_frequency(text: str) -> float:
    """Parse a tone frequency in Hz, 1..20000 (audible, and below Nyquist at 48 kHz)."""
    if _DECIMAL.fullmatch(text) is None or not 1 <= float(text) <= 20_000:
        raise ValueError(f"must be a frequency in Hz from 1 to 20000 (got {text!r})")
    return float(text)


def parse_int(text: str, low: int, high: int) -> int:
    """Parse a decimal integer in ``low..high`` inclusive."""
    if _INTEGER.fullmatch(text) is None or not low <= int(text) <= high:
        raise ValueError(f"must be an integer from {low} to {high} (got {text!r})")
    return int(text)


def parse_choice(text: str, choices: tuple[str, ...]) -> str:
    """Return ``text`` if it is one of ``choices``."""
    if text not in choices:
        raise ValueError(f"must be one of {', '.join(choices)} (got {text!r})")
    return text


def parse_name(text: str) -> str:
    """Parse a stream name used in storage keys: ``[a-z0-9][a-z0-9-]{0,31}``."""
    if _NAME.fullmatch(text) is None:
        raise ValueError(f"must match [a-z0-9][a-z0-9-]{{0,31}} (got {text!r})")
    return text


def parse_pixel_format(text: str) -> str:
    """Parse an FFmpeg pixel/codec name such as ``mjpeg`` or ``yuyv422``."""
    if _PIXEL_FORMAT.fullmatch(text) is None:
        raise ValueError(f"must be an FFmpeg format name such as mjpeg or yuyv422 (got {text!r})")
    return text
