"""V4L2, ALSA and network cameras, as far as a machine without devices allows.

The network tests use real loopback servers: a closed port, a server that accepts and never
answers, and an HTTP server streaming real MJPEG (the format many IP cameras serve).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from devices import (
    DeviceNotFoundError,
    LiveAvSource,
    SourceOpenError,
    VideoFormat,
    open_source,
    parse_source_spec,
)
from devices.hardware.alsa import open_alsa
from devices.hardware.v4l2 import open_v4l2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- V4L2 ---------------------------------------------------------------------------------------


def test_missing_video_device_lists_what_exists(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "video0").touch()
    spec = parse_source_spec("v4l2:/dev/video97")
    with pytest.raises(DeviceNotFoundError) as caught:
        open_v4l2(spec, root=tmp_path)
    assert str(caught.value) == (
        "no such video device /dev/video97 (found: /dev/video0); "
        "run 'python -m capture devices' to list devices"
    )


def test_missing_video_device_through_open_source() -> None:
    with pytest.raises(
        DeviceNotFoundError,
        match=r"no such video device /dev/video97 \(found: .*\); run 'python -m capture devices'",
    ):
        open_source(parse_source_spec("v4l2:/dev/video97#size=1280x720&fps=30&input_format=mjpeg"))


def test_existing_node_that_is_not_a_camera_is_source_open_error() -> None:
    with pytest.raises(SourceOpenError, match="cannot open video device /dev/null"):
        open_source(parse_source_spec("v4l2:/dev/null#size=640x480&fps=30000/1001"))


# --- ALSA ---------------------------------------------------------------------------------------


def _asound_root(root: Path, *, card: str = "card0", capture_pcm: str = "pcm0c") -> Path:
    (root / "proc" / "asound" / card / capture_pcm).mkdir(parents=True)
    (root / "proc" / "asound" / "pcm").write_text("00-00: USB Audio : USB Audio : capture 1\n")
    (root / "proc" / "asound" / "cards").write_text(" 0 [Device ]: USB-Audio - USB PnP Sound Device\n")
    return root


@pytest.mark.parametrize("device", ["hw:3,0", "plughw:3", "hw:CARD=Yeti,DEV=0", "dsnoop:CARD=0,DEV=2"])
def test_alsa_device_on_a_missing_card_is_device_not_found(tmp_path: Path, device: str) -> None:
    with pytest.raises(DeviceNotFoundError) as caught:
        open_alsa(parse_source_spec(f"alsa:{device}"), root=_asound_root(tmp_path))
    assert str(caught.value) == (
        f"no such ALSA capture device {device} (found: alsa:plughw:0,0); "
        "run 'python -m capture devices' to list devices"
    )


def test_alsa_named_pcm_with_no_sound_cards_is_device_not_found(tmp_path: Path) -> None:
    with pytest.raises(
        DeviceNotFoundError, match=r"no such ALSA capture device courtrec_no_such_pcm \(found: none\)"
    ):
        open_alsa(parse_source_spec("alsa:courtrec_no_such_pcm"), root=tmp_path)


def test_alsa_pcm_that_cannot_be_opened_is_source_open_error(tmp_path: Path) -> None:
    # The card is listed (fake /proc), so a failure to open is not "missing" but "cannot open".
    root = _asound_root(tmp_path, card="Fake_courtrec", capture_pcm="pcm0c")
    with pytest.raises(SourceOpenError, match="cannot open ALSA device hw:CARD=Fake_courtrec,DEV=0"):
        open_alsa(parse_source_spec("alsa:hw:CARD=Fake_courtrec,DEV=0#rate=48000&channels=1"), root=root)


def test_alsa_points_the_wheels_alsa_at_the_system_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALSA_CONFIG_DIR", raising=False)
    with pytest.raises(DeviceNotFoundError):
        open_alsa(parse_source_spec("alsa:courtrec_no_such_pcm"), root=tmp_path)
    if Path("/usr/share/alsa").is_dir():
        assert os.environ["ALSA_CONFIG_DIR"] == "/usr/share/alsa"


def test_alsa_missing_card_through_open_source() -> None:
    with pytest.raises(DeviceNotFoundError, match="no such ALSA capture device hw:29,0"):
        open_source(parse_source_spec("alsa:hw:29,0"))


# --- RTSP / HTTP --------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["rtsp", "rtsps", "http"])
def test_refused_connection_is_source_open_error_quickly(scheme: str) -> None:
    url = f"{scheme}://operator:s3cret@127.0.0.1:{_free_port()}/stream"
    started = time.monotonic()
    with pytest.raises(SourceOpenError) as caught:
        open_source(parse_source_spec(url))
    assert time.monotonic() - started < 3.0
    message = str(caught.value)
    assert "Connection refused" in message
    assert "127.0.0.1" in message
    assert "s3cret" not in message and "operator" not in message
    assert caught.value.__cause__ is None  # PyAV's error repeats the URL, password included


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections (kernel backlog) but never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield int(server.getsockname()[1])


@pytest.mark.parametrize("scheme", ["rtsp", "http"])
def test_silent_camera_times_out_instead_of_hanging(silent_server: int, scheme: str) -> None:
    started = time.monotonic()
    with pytest.raises(SourceOpenError, match="cannot open network camera"):
        open_source(parse_source_spec(f"{scheme}://127.0.0.1:{silent_server}/live#timeout=1"))
    assert time.monotonic() - started < 5.0


class _MjpegCamera(BaseHTTPRequestHandler):
    """Serves ``frames`` JPEG pictures as multipart MJPEG, like an IP camera's /video.mjpg."""

    frames = 20
    interval = 0.02

    def do_GET(self) -> None:
        if self.path != "/video.mjpg":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        for index in range(self.frames):
            picture = np.full((48, 64, 3), (index * 10) % 255, dtype=np.uint8)
            jpeg = cv2.imencode(".jpg", picture)[1].tobytes()
            header = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
            try:
                self.wfile.write(header.encode() + jpeg + b"\r\n")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(self.interval)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def mjpeg_camera() -> Iterator[tuple[str, type[_MjpegCamera]]]:
    handler = type("Camera", (_MjpegCamera,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="mjpeg-camera", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_http_mjpeg_camera_delivers_frames_then_fails_when_the_stream_ends(mjpeg_camera) -> None:
    base, _ = mjpeg_camera
    source = open_source(parse_source_spec(f"{base}/video.mjpg#timeout=2&name=cam1"))
    assert isinstance(source, LiveAvSource)
    assert source.video is not None and (source.video.width, source.video.height) == (64, 48)
    assert source.audio is None
    received: list[av.VideoFrame] = []
    # FFmpeg's MJPEG demuxer reports the closed connection as an I/O error, not a clean end.
    with pytest.raises(
        SourceOpenError, match=r"network camera http://127\.0\.0\.1:\d+/video\.mjpg (failed|stopped)"
    ):
        for frame in source.frames():
            assert frame.pts is not None and frame.time_base is not None
            received.append(frame)
    assert len(received) >= 15
    source.close()


def test_http_camera_close_from_another_thread(mjpeg_camera) -> None:
    base, handler = mjpeg_camera
    handler.frames, handler.interval = 10_000, 0.05
    source = open_source(parse_source_spec(f"{base}/video.mjpg#timeout=2"))
    outcome: list[object] = []

    def read() -> None:
        try:
            outcome.append(sum(1 for _ in source.frames()))
        except Exception as exc:  # the assertion below reports it
            outcome.append(exc)

    reader = threading.Thread(target=read, name="camera-reader")
    reader.start()
    time.sleep(0.5)
    source.close()
    reader.join(timeout=2.0)
    assert not reader.is_alive()
    assert isinstance(outcome[0], int) and outcome[0] > 0


def test_http_not_found_is_source_open_error(mjpeg_camera) -> None:
    base, _ = mjpeg_camera
    with pytest.raises(
        SourceOpenError, match=r"cannot open network camera http://127\.0\.0\.1:\d+/nothing-here"
    ):
        open_source(parse_source_spec(f"{base}/nothing-here#timeout=2"))


def test_video_format_of_a_live_source_is_negotiated(mjpeg_camera) -> None:
    base, _ = mjpeg_camera
    source = open_source(parse_source_spec(f"{base}/video.mjpg"))
    try:
        assert isinstance(source.video, VideoFormat)
        assert source.video.fps > 0
    finally:
        source.close()
