"""The public broadcast carries the courtroom's sound (issue 13 item 1): a room recording two
microphones publishes their mix live as ``mix``, and its public broadcast (opened with the configured
microphone, ``sound=mic-1``) carries the mix, both tones; a room with one microphone still broadcasts
that microphone. Real processes: ``streaming serve`` (one for the module) and ``capture record
--live`` (one per test, each in a room of its own: a feed stays listed a while after its agent left)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import httpx
import numpy as np
import numpy.typing as npt
import pytest

from .conftest import OPERATOR_TOKEN
from .processes import feeds, free_tcp_port, live_env, start_server, wait_for_feed

pytestmark = pytest.mark.integration

CAMERA = "synthetic#size=320x240&fps=15&audio=0&name=cam"
LOW_HZ, HIGH_HZ = 440, 1000


@dataclass(frozen=True)
class _LiveProcess:
    port: int
    env: dict[str, str]
    public: Path


@pytest.fixture(scope="module")
def live_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_LiveProcess]:
    """The module's ``streaming serve`` (a 1-s broadcast delay, 1-s segments)."""
    directory = tmp_path_factory.mktemp("mixed-broadcast")
    port = free_tcp_port()
    env = live_env(
        directory,
        COURTREC_STREAMING_BROADCAST_DELAY_SECONDS="1",
        COURTREC_STREAMING_HLS_SEGMENT_SECONDS="1",
    )
    server = start_server(port, env, directory / "server.log")
    try:
        yield _LiveProcess(port, env, directory / "public")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)


def _agent(
    port: int, env: dict[str, str], spool: Path, room: str, sources: list[str]
) -> subprocess.Popen[str]:
    """``python -m capture record --live`` of ``sources`` in ``room`` for at most 60 s (stopped by
    SIGINT)."""
    command = [
        sys.executable, "-m", "capture", "record",
        "--room", room, "--device-id", "dev-1", "--recording-id", "rec-mix",
        "--spool", str(spool), "--duration", "60", "--segment-seconds", "2",
        "--live", f"http://127.0.0.1:{port}/whip",
    ]  # fmt: skip
    for source in sources:
        command += ["--source", source]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _segments(public: Path, room: str) -> tuple[Path, list[str]]:
    """The broadcast's directory and its live playlist's segments (none yet: empty)."""
    for playlist in public.glob(f"{room}/cam/*/live.m3u8"):
        lines = playlist.read_text().splitlines()
        return playlist.parent, [line for line in lines if line and not line.startswith("#")]
    return public, []


def _broadcast_sound(
    live: _LiveProcess, tmp_path: Path, room: str, microphones: list[str], wait_for: str
) -> npt.NDArray[np.float32]:
    """Broadcast ``room``'s camera with ``sound=mic-1`` while the agent records it and ``microphones``;
    once ``wait_for`` is live, the sound of the broadcast's next segments, decoded (mono)."""
    port, env, public = live.port, live.env, live.public
    broadcast = f"http://127.0.0.1:{port}/api/public/{room}/cam"
    operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    agent: subprocess.Popen[str] | None = None
    opened = httpx.post(broadcast, params={"sound": "mic-1"}, headers=operator)
    assert opened.status_code == 200, opened.text
    try:
        agent = _agent(port, env, tmp_path / "spool", room, [CAMERA, *microphones])
        wait_for_feed(port, f"{room}/cam", timeout=45)
        wait_for_feed(port, f"{room}/{wait_for}", timeout=45)
        _, before = _segments(public, room)
        deadline = time.monotonic() + 30
        while len(_segments(public, room)[1]) < len(before) + 5:  # past the delay, on the new sound
            assert time.monotonic() < deadline, (before, feeds(port))
            time.sleep(0.2)
        directory, segments = _segments(public, room)
        init = next(line.split('"')[1] for line in (directory / "live.m3u8").read_text().splitlines()
                    if "EXT-X-MAP" in line)  # fmt: skip
        data = (directory / init).read_bytes() + b"".join((directory / s).read_bytes() for s in segments[-2:])
        stream_ids = {str(f["id"]) for f in feeds(port)}
    finally:
        if agent is not None:
            agent.send_signal(signal.SIGINT)
            output, _ = agent.communicate(timeout=60)
            assert agent.returncode == 0, output
        assert httpx.delete(broadcast, headers=operator).status_code == 200
    assert (f"{room}/mix" in stream_ids) == (len(microphones) > 1), stream_ids
    path = tmp_path / "broadcast.mp4"
    path.write_bytes(data)
    with av.open(str(path)) as container:
        rate = container.streams.audio[0].rate
        samples = np.concatenate([frame.to_ndarray()[0] for frame in container.decode(audio=0)])
    assert rate == 48000 and len(samples) > rate, (rate, len(samples))
    return samples.astype(np.float32)


def _tone_level(samples: npt.NDArray[np.float32], hz: float) -> float:
    """The RMS of ``samples``' component at ``hz`` (a windowed spectrum's peak around it)."""
    window = np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(samples * window)) / (np.sum(window) / 2)
    bins = np.fft.rfftfreq(len(samples), 1 / 48000)
    near = (bins > hz - 15) & (bins < hz + 15)
    return float(spectrum[near].max() / np.sqrt(2))


def test_a_room_with_two_microphones_broadcasts_their_mix(live_process: _LiveProcess, tmp_path: Path) -> None:
    microphones = [
        f"synthetic#video=0&tone={LOW_HZ}&name=mic-1",
        f"synthetic#video=0&tone={HIGH_HZ}&name=mic-2",
    ]
    samples = _broadcast_sound(live_process, tmp_path, "court-2", microphones, wait_for="mix")
    low, high = _tone_level(samples, LOW_HZ), _tone_level(samples, HIGH_HZ)
    assert low > 0.1 and high > 0.1, (low, high)  # both microphones' tones (each ~0.35 RMS alone)


def test_a_room_with_one_microphone_broadcasts_that_microphone(
    live_process: _LiveProcess, tmp_path: Path
) -> None:
    microphone = f"synthetic#video=0&tone={LOW_HZ}&name=mic-1"
    samples = _broadcast_sound(live_process, tmp_path, "court-3", [microphone], wait_for="mic-1")
    low, high = _tone_level(samples, LOW_HZ), _tone_level(samples, HIGH_HZ)
    assert low > 0.1 and high < 0.01, (low, high)
