"""PulseAudio capture through ``parec``, exercised with stand-in programs that behave like it."""

from __future__ import annotations

import shutil
import stat
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from devices import (
    AudioFormat,
    DeviceNotFoundError,
    PulseSource,
    SourceOpenError,
    open_source,
    parse_source_spec,
)

# Writes a 440 Hz s16le tone in 10 ms chunks, in real time, as parec does; records its arguments.
FAKE_PAREC = """
import math, struct, sys, time
args = dict(a.lstrip("-").split("=", 1) for a in sys.argv[1:] if "=" in a)
open(sys.argv[0] + ".args", "w").write(" ".join(sys.argv[1:]))
rate, channels = int(args["rate"]), int(args["channels"])
limit = float("{limit}")
n = 0
start = time.monotonic()
while n < limit * rate:
    chunk = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * (n + i) / rate))) * channels
        for i in range(rate // 100)
    )
    sys.stdout.buffer.write(chunk)
    sys.stdout.buffer.flush()
    n += rate // 100
    time.sleep(max(0.0, start + n / rate - time.monotonic()))
sys.stderr.write("{message}")
sys.exit({status})
"""


def _program(directory: Path, name: str, body: str) -> str:
    path = directory / name
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _parec(directory: Path, *, limit: float = 1e9, message: str = "", status: int = 0) -> str:
    return _program(directory, "parec", FAKE_PAREC.format(limit=limit, message=message, status=status))


def test_records_s16_frames_with_sample_count_timestamps(tmp_path: Path) -> None:
    parec = _parec(tmp_path)
    source = PulseSource(parse_source_spec("pulse:default#rate=16000&channels=2"), parec=parec, pactl=None)
    try:
        assert source.video is None
        assert source.audio == AudioFormat(16_000, 2)
        frames = []
        for frame in source.frames():
            frames.append(frame)
            if len(frames) == 3:
                break
    finally:
        source.close()
    assert [f.pts for f in frames] == [0, 1024, 2048]
    assert {(f.samples, f.sample_rate, f.format.name, f.layout.name, f.time_base) for f in frames} == {
        (1024, 16_000, "s16", "stereo", Fraction(1, 16_000))
    }
    left = frames[1].to_ndarray().reshape(-1, 2)[:, 0]
    assert 7000 < int(np.abs(left).max()) <= 8000
    arguments = Path(parec + ".args").read_text()
    assert "--rate=16000" in arguments and "--channels=2" in arguments and "--device" not in arguments


def test_named_source_is_passed_to_parec(tmp_path: Path) -> None:
    parec = _parec(tmp_path)
    source = PulseSource(parse_source_spec("pulse:alsa_input.usb-mic"), parec=parec, pactl=None)
    source.close()
    assert "--device=alsa_input.usb-mic" in Path(parec + ".args").read_text()


def test_close_from_another_thread_ends_the_generator(tmp_path: Path) -> None:
    source = PulseSource(parse_source_spec("pulse:default"), parec=_parec(tmp_path), pactl=None)
    outcome: list[object] = []

    def read() -> None:
        try:
            outcome.append(sum(1 for _ in source.frames()))
        except Exception as exc:  # reported by the assertion below
            outcome.append(exc)

    reader = threading.Thread(target=read, name="pulse-reader")
    reader.start()
    time.sleep(0.3)
    started = time.monotonic()
    source.close()
    reader.join(timeout=2.0)
    assert not reader.is_alive()
    assert time.monotonic() - started < 1.0
    assert isinstance(outcome[0], int) and outcome[0] > 0
    source.close()


def test_parec_failing_at_start_is_source_open_error(tmp_path: Path) -> None:
    parec = _parec(tmp_path, limit=0, message="Stream error: No such entity", status=1)
    with pytest.raises(SourceOpenError, match="parec exited with status 1: Stream error: No such entity"):
        PulseSource(parse_source_spec("pulse:default"), parec=parec, pactl=None)


def test_parec_dying_mid_stream_raises_from_the_generator(tmp_path: Path) -> None:
    parec = _parec(tmp_path, limit=0.2, message="Connection terminated", status=1)
    source = PulseSource(parse_source_spec("pulse:default"), parec=parec, pactl=None)
    received: list[av.AudioFrame] = []
    with pytest.raises(
        SourceOpenError,
        match="PulseAudio source default stopped: parec exited with status 1: Connection terminated",
    ):
        received.extend(source.frames())
    assert len(received) == 9  # 0.2 s of 48 kHz in whole 1024-sample frames
    source.close()


def test_missing_parec_is_source_open_error(tmp_path: Path) -> None:
    with pytest.raises(SourceOpenError, match=r"the '.*no-parec' program is missing"):
        PulseSource(parse_source_spec("pulse:default"), parec=str(tmp_path / "no-parec"), pactl=None)


def test_unknown_source_is_device_not_found(tmp_path: Path) -> None:
    pactl = _program(
        tmp_path,
        "pactl",
        "import sys\nsys.stdout.write('1\\talsa_input.usb-mic\\tPipeWire\\ts16le 1ch 48000Hz\\tIDLE\\n')\n",
    )
    with pytest.raises(DeviceNotFoundError) as caught:
        PulseSource(parse_source_spec("pulse:alsa_input.other"), parec=_parec(tmp_path), pactl=pactl)
    assert str(caught.value) == (
        "no such PulseAudio source alsa_input.other (found: pulse:alsa_input.usb-mic); "
        "run 'python -m capture devices' to list devices"
    )


@pytest.mark.skipif(shutil.which("parec") is not None, reason="this machine has a real parec")
def test_open_source_without_parec_explains_what_is_missing() -> None:
    with pytest.raises(SourceOpenError, match="install pulseaudio-utils"):
        open_source(parse_source_spec("pulse:default"))
