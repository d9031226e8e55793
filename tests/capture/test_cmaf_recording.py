"""A camera with sound recorded end to end as CMAF track files (ISO/IEC 23000-19, docs/FORMATS.md):
its pictures in ``cam``, its sound in ``cam.audio``, each with a one-track init (``cmfc``) and
segments that start with ``styp`` and decode on their own — checked with third-party tools (FFmpeg's
ffprobe for the brands, GStreamer's qtdemux for decoding), then `archive verify` on the bucket."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from archive.formats import SEGMENT_TYPE_BOX, header_problems, segment_problems, track_count
from archive.preservation.verify import find_prefix, verify_recording
from archive.store.object_store import ObjectStore
from tests.waiting import wait_until

from .conftest import RunAgent, agent_command, journal_events, store_env

pytestmark = pytest.mark.integration

FFPROBE = shutil.which("ffprobe")
GST = shutil.which("gst-launch-1.0")
_DECODERS = {"cam": "h264parse ! avdec_h264", "cam.audio": "aacparse ! avdec_aac"}


def _ffprobe(path: Path) -> dict[str, object]:
    assert FFPROBE is not None
    done = subprocess.run(
        [FFPROBE, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found: dict[str, object] = json.loads(done.stdout)
    return found


def _gst_decode(path: Path, decoder: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    assert GST is not None
    command = [
        GST,
        "-q",
        "filesrc",
        f"location={path}",
        "!",
        "qtdemux",
        "!",
        *decoder.split(),
        "!",
        "fakesink",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def _gst_refuses(path: Path, decoder: str) -> bool:
    """Whether GStreamer fails to decode ``path``: it exits non-zero, or it is still stuck after 20 s
    (qtdemux sometimes waits for a moov that a file without its init never has; a 2-s 320x240
    segment that decodes does so in well under a second)."""
    try:
        return _gst_decode(path, decoder, timeout=20).returncode != 0
    except subprocess.TimeoutExpired:
        return True


def test_a_camera_with_sound_is_two_cmaf_track_files_that_play_and_verify(
    tmp_path: Path, run_agent: RunAgent, object_store: ObjectStore
) -> None:
    if FFPROBE is None or GST is None:
        pytest.skip("needs ffprobe (Debian ffmpeg) and gst-launch-1.0 (Makefile: cmaf-checkers)")
    spool = tmp_path / "spool"
    result = run_agent(
        "record",
        "--room",
        "court-3",
        "--recording-id",
        "rec-cmaf",
        "--spool",
        str(spool),
        "--duration",
        "5",
        "--segment-seconds",
        "2",
        "--source",
        "synthetic#size=320x240&fps=15&name=cam",
    )
    assert result.returncode == 0, result.stderr
    events = journal_events(spool, "rec-cmaf")
    start = next(e for e in events if e["type"] == "start")
    declared = {s["name"]: s for s in start["streams"]}  # type: ignore[attr-defined]
    assert set(declared) == {"cam", "cam.audio"}
    assert declared["cam"]["audio"] is None and declared["cam"]["video"]["width"] == 320
    assert declared["cam.audio"]["video"] is None and declared["cam.audio"]["audio"]["codec"] == "aac"
    assert all(d["format"] == "cmaf" for d in declared.values())

    prefix = find_prefix(object_store, "rec-cmaf")
    starts: dict[str, list[float]] = {}
    video_init = b""
    for stream, decoder in _DECODERS.items():
        init = object_store.read_bytes(f"{prefix}/{stream}/init.mp4")
        assert header_problems(init) == [] and track_count(init) == 1
        init_path = tmp_path / f"{stream}-init.mp4"
        init_path.write_bytes(init)
        video_init = init if stream == "cam" else video_init
        probed = _ffprobe(init_path)
        tags = probed["format"]["tags"]  # type: ignore[index]
        assert "cmfc" in tags["major_brand"] + tags["compatible_brands"], tags
        assert [s["codec_type"] for s in probed["streams"]] == [  # type: ignore[attr-defined]
            "video" if stream == "cam" else "audio"
        ]
        segments = [e for e in events if e["type"] == "segment" and e["stream"] == stream]
        assert len(segments) == 3
        starts[stream] = [float(e["start_seconds"]) for e in segments]  # type: ignore[arg-type]
        for segment in segments:
            data = object_store.read_bytes(f"{prefix}/{segment['object']}")
            assert data.startswith(SEGMENT_TYPE_BOX) and segment_problems(data) == []
        middle = object_store.read_bytes(f"{prefix}/{segments[1]['object']}")
        alone = tmp_path / f"{stream}-segment-2.mp4"
        alone.write_bytes(init + middle)  # a segment in the middle decodes with nothing before it
        decoded = _gst_decode(alone, decoder)
        assert decoded.returncode == 0, decoded.stderr
        timing = _ffprobe(alone)["format"]
        span = float(timing["duration"]) - float(timing["start_time"])  # type: ignore[index]
        assert 1.5 < span < 2.6, timing
    # the sound is cut on the pictures' 2-s grid (within one ~213 ms AAC chunk), never drifting
    assert all(abs(a - v) < 0.25 for a, v in zip(starts["cam.audio"], starts["cam"], strict=True))

    headless = tmp_path / "headless.mp4"  # GStreamer is no rubber stamp: without its init, nothing plays
    headless.write_bytes((tmp_path / "cam-segment-2.mp4").read_bytes().removeprefix(video_init))
    assert _gst_refuses(headless, _DECODERS["cam"])

    report = verify_recording(object_store, "rec-cmaf")
    assert report.intact, report.problems
    assert report.streams == {"cam", "cam.audio"}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def test_kill_9_mid_segment_salvages_both_track_files_with_their_styp(
    tmp_path: Path, run_agent: RunAgent, object_store: ObjectStore
) -> None:
    spool = tmp_path / "spool"
    recording = spool / "recordings" / "rec-cmaf-crash"
    arguments = ["record", "--room", "court-2", "--recording-id", "rec-cmaf-crash", "--spool", str(spool)]
    arguments += ["--segment-seconds", "2", "--source", "synthetic#size=320x240&fps=15&name=cam"]
    agent = subprocess.Popen(
        agent_command(*arguments),
        env=store_env(object_store.config),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        torn = [recording / stream / "00000002.m4s.tmp" for stream in ("cam", "cam.audio")]
        wait_until(
            lambda: all(_size(path) > 0 for path in torn), 30, "both second segments to start", poll=0.05
        )
    finally:
        agent.send_signal(signal.SIGKILL)
        agent.wait()
    result = run_agent(*arguments, "--duration", "3")
    assert result.returncode == 0, result.stderr

    segments = [e for e in journal_events(spool, "rec-cmaf-crash") if e["type"] == "segment"]
    for stream in ("cam", "cam.audio"):
        salvaged = next(e for e in segments if e["stream"] == stream and e["segment"] == 2)
        assert salvaged["flags"] == ["partial"], salvaged
        data = object_store.read_bytes(f"{find_prefix(object_store, 'rec-cmaf-crash')}/{salvaged['object']}")
        assert data.startswith(SEGMENT_TYPE_BOX)  # the salvaged prefix is still a CMAF segment
    report = verify_recording(object_store, "rec-cmaf-crash")
    assert report.intact, report.problems
