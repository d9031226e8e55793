"""Stream names as people read them: seat and kind of device in Chinese, never the bare code."""

from __future__ import annotations

import pytest

from archive.formats.stream_labels import stream_label


@pytest.mark.parametrize(
    ("stream", "label"),
    [
        ("judge-cam", "审判席摄像机"),
        ("wide", "全景摄像机"),
        ("plaintiff-mic", "原告席麦克风"),
        ("cam", "摄像机"),
        ("cam-2", "摄像机 2"),
        ("cam1", "摄像机 1"),
        ("synthetic-1", "摄像机 1"),
        ("v4l2-1", "摄像机 1"),
        ("rtsp-01", "摄像机 1"),
        ("mic-1", "麦克风 1"),
        ("alsa-2", "麦克风 2"),
        ("mix", "混音"),
        ("bodycam", "执法记录仪"),
        ("gps", "位置轨迹"),
        ("judge-cam.audio", "审判席摄像机的声音"),  # a camera's own sound (its CMAF track file)
        ("synthetic-1.audio", "摄像机 1的声音"),
        ("xyz-3", "摄像机 3（xyz-3）"),  # nothing known: the code stays, beside a Chinese label
    ],
)
def test_a_stream_is_named_by_its_seat_and_device(stream: str, label: str) -> None:
    assert stream_label(stream) == label
