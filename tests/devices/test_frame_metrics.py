from __future__ import annotations

import math

import av
import numpy as np
import pytest

from devices.monitoring.frame_metrics import audio_rms_dbfs, luma_thumbnail


def _gradient(width: int = 64, height: int = 48) -> np.ndarray:
    return (np.arange(width)[None, :] * 3 + np.arange(height)[:, None]).astype(np.uint8)


@pytest.mark.parametrize("pixel_format", ["yuv420p", "yuvj420p", "nv12", "yuv422p", "gray"])
def test_thumbnail_reads_every_fourth_luma_sample_of_planar_formats(kit, pixel_format: str) -> None:
    frame = kit.yuv_frame(_gradient()).reformat(format=pixel_format)
    assert frame.format.name == pixel_format
    thumb = luma_thumbnail(frame)
    assert thumb.shape == (12, 16)
    assert thumb.flags.c_contiguous
    if pixel_format in ("yuv420p", "nv12", "yuv422p"):
        assert np.array_equal(thumb, _gradient()[::4, ::4])


@pytest.mark.parametrize("pixel_format", ["yuyv422", "uyvy422"])
def test_thumbnail_of_packed_422_reads_luma_in_place(kit, pixel_format: str) -> None:
    frame = kit.yuv_frame(_gradient()).reformat(format=pixel_format)
    assert np.array_equal(luma_thumbnail(frame), _gradient()[::4, ::4])


def test_thumbnail_of_a_padded_frame_ignores_row_padding(kit) -> None:
    # 100 pixels wide: FFmpeg pads each row of the plane to an aligned line size.
    luma = np.tile(np.arange(100, dtype=np.uint8), (20, 1))
    frame = kit.yuv_frame(luma)
    assert frame.planes[0].line_size >= 100
    assert np.array_equal(luma_thumbnail(frame), luma[::4, ::4])


def test_thumbnail_of_rgb_falls_back_to_grey_conversion() -> None:
    frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 200, dtype=np.uint8), format="rgb24")
    thumb = luma_thumbnail(frame)
    assert thumb.shape == (12, 16)
    assert abs(float(thumb.mean()) - 200) < 3


def test_thumbnail_of_1080p_is_a_sixteenth(kit) -> None:
    assert luma_thumbnail(kit.flat_frame(80, 1920, 1080)).shape == (270, 480)


def test_rms_level_of_float_and_integer_audio(kit) -> None:
    assert audio_rms_dbfs(kit.tone_frame(1.0)) == pytest.approx(-3.01, abs=0.05)
    assert audio_rms_dbfs(kit.tone_frame(0.1)) == pytest.approx(-23.01, abs=0.05)
    assert audio_rms_dbfs(kit.tone_frame(0.0)) == -math.inf
    s16 = av.AudioFrame.from_ndarray(np.full((1, 2048), 16384, dtype=np.int16), format="s16", layout="stereo")
    assert audio_rms_dbfs(s16) == pytest.approx(-6.02, abs=0.01)
    u8 = av.AudioFrame.from_ndarray(np.full((1, 512), 128, dtype=np.uint8), format="u8", layout="mono")
    assert audio_rms_dbfs(u8) == -math.inf
