"""Burning the synchronised time and the courtroom/case caption into the picture (2017 rules, art. 4).

The caption is Chinese (Beijing time with its zone, the courtroom's name, the official case number),
so it is drawn with a CJK TrueType font through Pillow's FreeType rasteriser — OpenCV's Hershey fonts
draw ASCII only. The fixed parts (the caption, the zone label) are rasterised once, and so is each
character the time is made of (digits, ``-``, ``:``, ``.``, space): per frame the time is only put
together from those cached glyphs (by their advance widths) into a small grey mask that is then
written into the luma plane's bottom band — no FreeType work per frame (it cost more than the rest of
the overlay at 720p). No copy or colour conversion of the frame itself, so the cost stays a small
fraction of the encode.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from datetime import datetime
from functools import cache
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from capture.recording.stream.caption import ZONE_LABEL, timestamp_text

logger = logging.getLogger(__name__)

_WHITE = 235
_BLACK = 16
_NEUTRAL_CHROMA = 128
# Debian's CJK fonts (fonts-wqy-zenhei: the Makefile's postgres-and-fonts; fonts-noto-cjk); first found wins.
CJK_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
)

_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def find_cjk_font() -> Path | None:
    """A font file that draws Chinese: a known Debian path, else what fontconfig matches for zh."""
    for path in CJK_FONT_CANDIDATES:
        if path.is_file():
            return path
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        found = subprocess.run(
            [fc_match, "-f", "%{file}", ":lang=zh"], capture_output=True, text=True, timeout=5, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(found) if found and Path(found).is_file() else None


def _load_font(size: int) -> tuple[_Font, bool]:
    """The CJK font at ``size`` pixels, and whether it is one (else Pillow's own, ASCII only)."""
    path = find_cjk_font()
    if path is not None:
        try:
            return ImageFont.truetype(str(path), size), True
        except OSError as exc:
            logger.warning("caption font %s cannot be read (%s): the caption falls back to ASCII", path, exc)
    else:
        logger.warning("no CJK font found (install fonts-wqy-zenhei): the caption falls back to ASCII")
    return ImageFont.load_default(size), False


class Overlay:
    """Draws ``YYYY-MM-DD HH:MM:SS.mmm 北京时间(UTC+08:00)  caption`` onto yuv420p frames of one size."""

    def __init__(self, width: int, height: int, caption: str) -> None:
        self._width = width
        self._height = height
        font_px = max(10, round(height / 24))
        self._font, cjk = _load_font(font_px)
        if not cjk:  # without a CJK font Chinese would come out as empty boxes: say so in ASCII instead
            caption = caption.encode("ascii", "replace").decode("ascii")
        self._margin = max(3, font_px // 4)
        self._line = (font_px + max(4, font_px // 2)) // 2 * 2  # even: whole chroma rows
        time_width = int(self._font.getlength(timestamp_text(datetime.now().astimezone()))) + font_px
        one_line = self._margin + time_width + int(self._font.getlength(caption)) <= width
        # A small picture cannot hold both on one line: the caption goes on a second line below the time.
        self._caption_at = (0, self._margin + time_width) if one_line else (self._line, self._margin)
        self._band = self._line if one_line or not caption else 2 * self._line
        self._caption_mask = self._render(caption, width - self._caption_at[1])
        self._glyphs: dict[str, tuple[np.ndarray, float]] = {}  # char -> (mask, advance in pixels)
        self._fixed: dict[str, np.ndarray] = {}  # the zone label part of the time, rendered once

    @property
    def band_height(self) -> int:
        """Rows at the bottom of the picture the caption owns (one line, or two on a small picture)."""
        return self._band

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
        _paint(band, 0, self._margin, self._render_time(timestamp_text(now), self._width - self._margin))
        _paint(band, *self._caption_at, self._caption_mask)
        chroma_rows = self._band // 2
        for index in (1, 2):
            chroma = _plane(frame, index, self._height // 2)
            chroma[self._height // 2 - chroma_rows :, : self._width // 2] = _NEUTRAL_CHROMA
        return frame

    def _render_time(self, text: str, max_width: int) -> np.ndarray:
        """The time as a grey mask like :meth:`_render`'s, put together from cached glyphs: the
        changing part character by character, the zone label (which never changes) in one piece."""
        cut = text.find(f" {ZONE_LABEL}")
        changing, fixed = (text, "") if cut < 0 else (text[:cut], text[cut:])
        mask = np.zeros((self._line, max(1, max_width)), dtype=np.uint8)
        x = 0.0
        for char in changing:
            glyph, advance = self._glyph(char)
            _ink(mask, round(x), glyph)
            x += advance
        if fixed:
            rendered = self._fixed.get(fixed)
            if rendered is None:
                rendered = self._fixed[fixed] = self._render(fixed, round(self._font.getlength(fixed)) + 4)
            _ink(mask, round(x), rendered)
        return mask

    def _glyph(self, char: str) -> tuple[np.ndarray, float]:
        cached = self._glyphs.get(char)
        if cached is None:
            advance = float(self._font.getlength(char))
            # a little room past the advance: a glyph may reach beyond it (it is combined by maximum)
            cached = self._glyphs[char] = (self._render(char, round(advance) + self._line // 2), advance)
        return cached

    def _render(self, text: str, max_width: int) -> np.ndarray:
        """``text`` as a grey mask (0 background … 255 ink) one line high, cut at ``max_width``."""
        image = Image.new("L", (max(1, max_width), self._line), 0)
        ImageDraw.Draw(image).text((0, self._line // 2), text, fill=255, font=self._font, anchor="lm")
        return np.asarray(image)


def _paint(band: np.ndarray, top: int, left: int, mask: np.ndarray) -> None:
    """Write ``mask`` (white ink on black) into ``band`` at (``top``, ``left``), clipped to the band."""
    width = min(mask.shape[1], band.shape[1] - left)
    rows = min(mask.shape[0], band.shape[0] - top)
    if width <= 0 or rows <= 0:
        return
    ink = mask[:rows, :width].astype(np.uint16)
    region = band[top : top + rows, left : left + width]
    region[:] = (_BLACK + (ink * (_WHITE - _BLACK) + 127) // 255).astype(np.uint8)


def _ink(mask: np.ndarray, left: int, glyph: np.ndarray) -> None:
    """Add ``glyph``'s ink to ``mask`` at column ``left`` (clipped; overlapping ink keeps the most)."""
    width = min(glyph.shape[1], mask.shape[1] - left)
    if width <= 0 or left < 0:
        return
    region = mask[:, left : left + width]
    np.maximum(region, glyph[: mask.shape[0], :width], out=region)


def _plane(frame: av.VideoFrame, index: int, rows: int) -> np.ndarray:
    """A writable 2-D numpy view of plane ``index`` (rows x line size), without copying."""
    plane = frame.planes[index]
    return np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(rows, plane.line_size)
