"""The burned-in caption: Beijing time with its zone, the courtroom's name and the official case
number, drawn in a CJK font and still readable after an H.264 round trip."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import av
import numpy as np
import pytest

from capture.recording.stream.caption import caption_text, timestamp_text
from capture.recording.stream.overlay import Overlay, find_cjk_font

WIDTH, HEIGHT = 320, 240
GREY = 100


def test_time_is_beijing_time_with_its_zone() -> None:
    now = datetime(2026, 12, 3, 9, 5, 9, 123_456, tzinfo=UTC)
    assert timestamp_text(now) == "2026-12-03 17:05:09.123 北京时间(UTC+08:00)"
    # the same instant given in another zone reads the same
    assert timestamp_text(now.astimezone(timezone(timedelta(hours=-5)))) == timestamp_text(now)
    with pytest.raises(ValueError, match="time zone"):
        timestamp_text(datetime(2026, 12, 3, 9, 5, 9))


def test_caption_names_the_courtroom_and_the_official_case_number() -> None:
    text = caption_text(room="room-1", room_name="第一法庭", case=" (2026)京0105民初1234号 ")
    assert text == "第一法庭  （2026）京0105民初1234号"
    assert caption_text(room="room-1") == "room-1"  # no name known: the code rather than nothing
    assert caption_text(room="room-1", room_name="  ", case="") == "room-1"


def _grey_frame() -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(np.full((HEIGHT, WIDTH, 3), GREY, np.uint8), format="rgb24")
    return frame.reformat(format="yuv420p")


def _round_trip(frames: list[av.VideoFrame]) -> list[np.ndarray]:
    """Encode ``frames`` with x264 into MP4 and decode them back to luma arrays."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as output:
        stream = output.add_stream("libx264", rate=15)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": "18", "preset": "ultrafast"}
        for index, frame in enumerate(frames):
            frame.pts = index
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    buffer.seek(0)
    with av.open(buffer) as container:
        return [f.to_ndarray(format="gray") for f in container.decode(video=0)]


def test_caption_is_drawn_in_the_band_and_survives_encoding() -> None:
    assert find_cjk_font() is not None, "a CJK font is needed (make postgres-and-fonts)"
    caption = caption_text(room="room-1", room_name="第一法庭", case="（2026）京0105民初1234号")
    overlay = Overlay(WIDTH, HEIGHT, caption)
    band = overlay.band_height
    start = datetime(2026, 12, 3, 9, 5, 9, tzinfo=UTC)
    stamped = [overlay.apply(_grey_frame(), start + timedelta(seconds=s)) for s in (0, 0, 7)]
    first, same, later = _round_trip(stamped)

    picture = first[: HEIGHT - band - 4]
    assert abs(float(picture.mean()) - GREY) < 3, "the picture above the caption band is untouched"
    caption = first[HEIGHT - band :]
    assert (caption > 180).sum() > 200, "white text in the band"
    assert (caption < 40).sum() > caption.size // 2, "on a black band"
    # the time changes the band, the same time does not
    assert np.abs(first[HEIGHT - band :].astype(int) - same[HEIGHT - band :]).max() < 40
    assert (np.abs(first[HEIGHT - band :].astype(int) - later[HEIGHT - band :]) > 80).sum() > 20


def test_chinese_is_drawn_as_glyphs_not_as_question_marks() -> None:
    chinese = Overlay(WIDTH, HEIGHT, "第一法庭  （2026）京0105民初1234号")
    question_marks = Overlay(WIDTH, HEIGHT, "????  (2026)?0105??1234?")
    when = datetime(2026, 12, 3, 9, 5, 9, tzinfo=UTC)
    drawn = [_luma(o.apply(_grey_frame(), when)) for o in (chinese, question_marks)]
    band = chinese.band_height
    assert band == question_marks.band_height
    caption_line = slice(HEIGHT - band // 2, HEIGHT)  # 320 px wide: the caption has a line of its own
    ink = [(d[caption_line] > 128).sum() for d in drawn]
    # a CJK glyph has many more strokes than '?': the Chinese caption carries clearly more ink
    assert ink[0] > ink[1] * 1.3, ink


def _luma(frame: av.VideoFrame) -> np.ndarray:
    return frame.to_ndarray(format="gray")


def test_the_time_put_together_from_cached_glyphs_reads_as_the_whole_text_drawn_at_once() -> None:
    overlay = Overlay(1280, 720, "第一法庭")
    now = datetime(2026, 12, 3, 9, 5, 9, 123000, tzinfo=UTC)
    text = timestamp_text(now)
    composed = overlay._render_time(text, 1200).astype(int)
    drawn = overlay._render(text, 1200).astype(int)
    assert (composed > 128).sum() > 500  # there is ink
    assert np.abs(composed - drawn).mean() < 4, np.abs(composed - drawn).mean()
    other = overlay._render(timestamp_text(now + timedelta(seconds=1.111)), 1200).astype(int)
    assert np.abs(composed - other).mean() > 2 * np.abs(composed - drawn).mean()  # and it can tell
