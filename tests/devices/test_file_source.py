from __future__ import annotations

import itertools
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import pytest

from devices import (
    AudioFormat,
    DeviceNotFoundError,
    FileSource,
    SourceOpenError,
    VideoFormat,
    open_source,
    parse_source_spec,
)


def _open(path: Path, options: str = "") -> FileSource:
    source = open_source(parse_source_spec(f"file:{path}{options}"))
    assert isinstance(source, FileSource)
    return source


def test_plays_a_real_mp4_with_formats_and_timestamps(make_media) -> None:
    source = _open(make_media(seconds=2.0, fps=15), "#realtime=0")
    assert source.video == VideoFormat(64, 48, Fraction(15))
    assert source.audio == AudioFormat(48_000, 1)
    frames = list(source.frames())
    video = [f for f in frames if isinstance(f, av.VideoFrame)]
    audio = [f for f in frames if isinstance(f, av.AudioFrame)]
    assert len(video) == 30
    assert len(audio) >= 90
    assert all(f.pts is not None and f.time_base is not None for f in frames)
    assert [float(f.time) for f in video] == pytest.approx([i / 15 for i in range(30)])


def test_video_only_file(make_media) -> None:
    source = _open(make_media(audio=False), "#realtime=0")
    assert source.audio is None
    assert all(isinstance(f, av.VideoFrame) for f in source.frames())


def test_loop_keeps_pts_rising_across_passes(make_media) -> None:
    source = _open(make_media(seconds=1.0, fps=15), "#loop=1&realtime=0")
    frames = list(itertools.islice(source.frames(), 200))  # a pass is 15 video + ~47 audio frames
    source.close()
    for kind in (av.VideoFrame, av.AudioFrame):
        times = [float(f.time) for f in frames if isinstance(f, kind)]
        assert all(a < b for a, b in itertools.pairwise(times)), kind
    video_times = [float(f.time) for f in frames if isinstance(f, av.VideoFrame)]
    assert len(video_times) > 45
    assert video_times[15] == pytest.approx(1.0)  # second pass starts where the first ended
    assert video_times[30] == pytest.approx(2.0)


def test_realtime_playback_is_paced(make_media) -> None:
    source = _open(make_media(seconds=1.0, fps=15))
    started = time.monotonic()
    frames = [f for f in source.frames() if float(f.time) < 0.4]
    elapsed = time.monotonic() - started
    assert frames
    assert 0.85 <= elapsed < 2.0  # the whole 1 s clip, in real time


def test_close_from_another_thread_stops_looping_playback(make_media) -> None:
    source = _open(make_media(seconds=1.0), "#loop=1")
    received: list[object] = []
    reader = threading.Thread(target=lambda: received.extend(source.frames()), name="file-reader")
    reader.start()
    time.sleep(0.3)
    source.close()
    reader.join(timeout=1.0)
    assert not reader.is_alive()
    assert received
    source.close()


def test_missing_file_is_device_not_found(tmp_path: Path) -> None:
    with pytest.raises(DeviceNotFoundError, match=r"no such media file .*missing\.mp4"):
        open_source(parse_source_spec(f"file:{tmp_path / 'missing.mp4'}"))


def test_truncated_file_is_source_open_error(make_media) -> None:
    path = make_media("long.mp4", seconds=3.0, size=(160, 120))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # the index (moov) at the end is gone
    with pytest.raises(SourceOpenError) as caught:
        _open(path)
    assert str(path) in str(caught.value)
    assert "truncated, damaged or not a supported media format" in str(caught.value)


@pytest.mark.parametrize("content", [b"", b"this is a text file, not a video\n" * 50])
def test_non_media_file_is_source_open_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.mp4"
    path.write_bytes(content)
    with pytest.raises(SourceOpenError, match=r"cannot open media file .*notes\.mp4: invalid data"):
        _open(path)


def test_directory_is_source_open_error(tmp_path: Path) -> None:
    with pytest.raises(SourceOpenError, match="not a regular file"):
        _open(tmp_path)


def test_media_file_without_audio_or_video_is_source_open_error(tmp_path: Path) -> None:
    path = tmp_path / "subtitles.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\nAll rise.\n")
    with pytest.raises(SourceOpenError, match="no audio or video stream"):
        _open(path)
