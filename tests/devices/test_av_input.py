"""The PyAV reading layer, driven by real media files standing in for a device."""

from __future__ import annotations

import threading

import av
import pytest

from devices import LiveAvSource, SourceOpenError, parse_source_spec
from devices.hardware.av_input import ContainerReader, open_container


def test_live_source_that_ends_raises_source_open_error(make_media) -> None:
    path = make_media(seconds=0.5)
    source = LiveAvSource(parse_source_spec("rtsp://cam/x"), av.open(str(path)), "test camera")
    frames = []
    with pytest.raises(SourceOpenError, match=r"test camera stopped delivering frames \(end of stream\)"):
        frames.extend(source.frames())
    assert frames
    source.close()


def test_live_source_closed_before_reading_yields_nothing(make_media) -> None:
    container = av.open(str(make_media(seconds=0.5)))
    source = LiveAvSource(parse_source_spec("rtsp://cam/x"), container, "test camera")
    source.close()
    source.close()
    assert list(source.frames()) == []


def test_reader_closes_the_container_when_not_reading(make_media) -> None:
    container = av.open(str(make_media(seconds=0.5)))
    reader = ContainerReader(container, threading.Event())
    reader.close()
    with pytest.raises(AssertionError, match="Container is not open"):  # PyAV's own check
        next(container.demux())


def test_reader_closes_the_container_after_the_last_frame(make_media) -> None:
    container = av.open(str(make_media(seconds=0.5)))
    reader = ContainerReader(container, threading.Event())
    assert sum(1 for _ in reader.frames()) > 0
    reader.close()  # already closed by the generator: idempotent


def test_reader_stops_when_the_stop_event_is_set_mid_stream(make_media) -> None:
    stop = threading.Event()
    reader = ContainerReader(av.open(str(make_media(seconds=2.0))), stop)
    frames = reader.frames()
    next(frames)
    stop.set()
    reader.close()  # no read is running (the generator is suspended), so this closes at once
    assert list(frames) == []


def test_open_container_translates_errors_without_the_target(tmp_path) -> None:
    missing = tmp_path / "secret-name.mp4"
    with pytest.raises(SourceOpenError) as caught:
        open_container(str(missing), label="the clip")
    assert str(caught.value) == "cannot open the clip: No such file or directory (errno 2)"
    assert caught.value.__cause__ is None
