"""How many cameras one courtroom PC records in real time: `python -m capture serve` with its console
open, against the same number of ffmpeg CLI encodes side by side (issue 14, item 8).

For each camera count N (1, 2, … up to ``--max-cameras``) and each x264 preset, it runs:

* **ours**: `capture serve` recording an ad-hoc hearing started from its console, N synthetic cameras
  (``--size`` at ``--fps``, default 1280x720@30) plus ``--microphones`` synthetic microphones
  (default 4), for ``--seconds`` (default 120), while a console client polls every thumbnail and the
  level meters twice a second as the clerk's open page does. The portal is unreachable (the service
  records without it). Frames dropped = the frames the journal says were lost (overload watch) and
  whether the ``pipeline_behind`` alarm was raised (frames recorded more than 1 s late);
* **ffmpeg**: N ffmpeg CLI processes, each encoding the same synthetic pictures (bench/synthetic_raw.py,
  paced in real time) with the same preset, GOP and segment length, plus the microphones' AAC encodes;
  the baseline keeps up when every encode finishes within 5 % of real time.

Prints, per N and preset: CPU seconds per stream of each side, lost frames, and whether each kept up;
then the largest N each side records in real time with no dropped frame, and the ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

_LOST = re.compile(r"(\d+) video frame\(s\) lost")
_CSRF = re.compile(r'<meta name="console-csrf" content="([^"]+)">')


@dataclass(frozen=True)
class Outcome:
    """One side's run: CPU seconds (all processes), wall seconds, frames lost, and whether it kept up."""

    cpu: float
    wall: float
    lost_frames: int
    kept_up: bool
    detail: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _console(
    port: int, path: str, body: dict[str, object] | None = None, csrf: str = "", *, timeout: float = 10
) -> bytes:
    url = f"http://127.0.0.1:{port}{path}"
    if body is None:
        request = urllib.request.Request(url)
    else:
        headers = {"Content-Type": "application/json", "X-Console-CSRF": csrf}
        request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return bytes(response.read())


def _wait_for_console(port: int, agent: subprocess.Popen[bytes], deadline: float) -> str:
    while time.monotonic() < deadline:
        if agent.poll() is not None:
            sys.exit(f"capture serve exited with {agent.returncode} before its console answered")
        try:
            match = _CSRF.search(_console(port, "/").decode())
        except OSError:
            time.sleep(0.5)
            continue
        if match is None:
            sys.exit("the console page carries no CSRF token")
        return match.group(1)
    sys.exit("the console did not answer within 60 s")


def _watch_console(port: int, cameras: list[str], stop: threading.Event) -> None:
    """What the clerk's open page asks for: every thumbnail and the meters, twice a second."""
    while not stop.wait(0.5):
        for name in cameras:
            with contextlib.suppress(OSError):
                _console(port, f"/api/picture/{name}")
        with contextlib.suppress(OSError):
            _console(port, "/api/levels")


def _journal_losses(spool: Path) -> tuple[int, bool]:
    """Frames the journals say were lost (gap lines "N video frame(s) lost: …"), and whether any
    stream fell behind real time (a ``pipeline_behind`` alarm)."""
    lost, behind = 0, False
    for chunk in spool.rglob("journal/*.jsonl"):
        for line in chunk.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            if event.get("type") == "alarm" and event.get("condition") == "pipeline_behind":
                behind = behind or bool(event.get("active"))
            elif event.get("type") == "gap" and (match := _LOST.match(str(event.get("reason", "")))):
                lost += int(match.group(1))
    return lost, behind


def run_ours(args: argparse.Namespace, cameras: int, preset: str, work: Path) -> Outcome:
    port = _free_port()
    names = [f"cam-{i + 1}" for i in range(cameras)]
    sources = [f"synthetic#size={args.size}&fps={args.fps}&audio=0&name={name}" for name in names]
    sources += [f"synthetic#video=0&tone={440 + 110 * i}&name=mic-{i + 1}" for i in range(args.microphones)]
    spool = work / f"serve-{cameras}-{preset}"
    command = [
        sys.executable, "-m", "capture", "serve", "--room", "bench-room", "--court", "bench-court",
        "--portal", "http://127.0.0.1:9/", "--spool", str(spool), "--preset", preset,
        "--console-port", str(port), "--drain-seconds", "0",
        *[arg for source in sources for arg in ("--source", source)],
    ]  # fmt: skip
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COURTREC_")},
        "COURTREC_PORTAL_AGENT_TOKEN": "bench-token-0123456789abcdefghijklmnop",
    }
    before = _children_cpu()
    started = time.monotonic()
    log = (work / f"serve-{cameras}-{preset}.log").open("wb")
    agent = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        csrf = _wait_for_console(port, agent, time.monotonic() + 60)
        _console(port, "/api/start", {"by": "bench", "case_number": "（2026）京0105民初1号"}, csrf)
        stop = threading.Event()
        watcher = threading.Thread(target=_watch_console, args=(port, names, stop), daemon=True)
        watcher.start()
        time.sleep(args.seconds)
        stop.set()
        watcher.join()
        # stopping drains the recorder (last segments sealed and journaled): as long as the console allows
        _console(port, "/api/stop", {"by": "bench", "confirm_early": True}, csrf, timeout=90)
    finally:
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(timeout=120)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()
        log.close()
    lost, behind = _journal_losses(spool)
    detail = "fell behind real time" if behind else "in real time"
    return Outcome(
        _children_cpu() - before, time.monotonic() - started, lost, not behind and lost == 0, detail
    )


def _ffmpeg_camera(args: argparse.Namespace, preset: str, out: Path) -> str:
    generator = [
        sys.executable, str(Path(__file__).with_name("synthetic_raw.py")),
        "--size", args.size, "--fps", str(args.fps), "--seconds", str(args.seconds),
    ]  # fmt: skip
    encoder = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error",
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", args.size, "-r", str(args.fps), "-i", "-",
        "-c:v", "libx264", "-preset", preset, "-g", str(args.fps), "-sc_threshold", "0", "-bf", "0",
        "-f", "hls", "-hls_time", "6", "-hls_segment_type", "fmp4", "-hls_playlist_type", "event",
        "-hls_segment_filename", str(out / "%08d.m4s"), str(out / "index.m3u8"),
    ]  # fmt: skip
    return f"{shlex.join(generator)} | {shlex.join(encoder)}"


def _ffmpeg_microphone(args: argparse.Namespace, tone: int, out: Path) -> str:
    encoder = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=48000", "-t", str(args.seconds),
        "-c:a", "aac", "-b:a", "64k", "-ac", "1",
        "-f", "hls", "-hls_time", "6", "-hls_segment_type", "fmp4", "-hls_playlist_type", "event",
        "-hls_segment_filename", str(out / "%08d.m4s"), str(out / "index.m3u8"),
    ]  # fmt: skip
    return shlex.join(encoder)


def run_ffmpeg(args: argparse.Namespace, cameras: int, preset: str, work: Path) -> Outcome:
    scripts = []
    for i in range(cameras):
        out = work / f"ffmpeg-{cameras}-{preset}-cam-{i}"
        out.mkdir()
        scripts.append(_ffmpeg_camera(args, preset, out))
    for i in range(args.microphones):
        out = work / f"ffmpeg-{cameras}-{preset}-mic-{i}"
        out.mkdir()
        scripts.append(_ffmpeg_microphone(args, 440 + 110 * i, out))
    before = _children_cpu()
    started = time.monotonic()
    processes = [subprocess.Popen(["bash", "-o", "pipefail", "-c", script]) for script in scripts]
    codes = [process.wait() for process in processes]
    wall = time.monotonic() - started
    if any(codes):
        sys.exit(f"an ffmpeg baseline encode failed: exit codes {codes}")
    kept_up = wall <= args.seconds * 1.05 + 2  # + start-up of the processes
    detail = f"finished in {wall:.1f} s for {args.seconds} s of media"
    return Outcome(_children_cpu() - before, wall, 0, kept_up, detail)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--microphones", type=int, default=4)
    parser.add_argument("--max-cameras", type=int, default=4)
    parser.add_argument("--presets", default="ultrafast,veryfast")
    args = parser.parse_args()
    print(
        f"courtroom capacity: {args.size}@{args.fps} cameras + {args.microphones} microphones,"
        f" {args.seconds} s each, on {os.cpu_count()} cores"
    )
    best: dict[tuple[str, str], int] = {}
    with tempfile.TemporaryDirectory(prefix="bench-courtroom-") as scratch:
        work = Path(scratch)
        for preset in args.presets.split(","):
            for cameras in range(1, args.max_cameras + 1):
                streams = cameras + args.microphones
                ffmpeg = run_ffmpeg(args, cameras, preset, work)
                ours = run_ours(args, cameras, preset, work)
                print(
                    f"  {preset:9s} {cameras} cameras: ours {ours.cpu / streams:6.2f} CPU-s/stream,"
                    f" lost {ours.lost_frames} frames, {ours.detail}"
                    f" | ffmpeg {ffmpeg.cpu / streams:6.2f} CPU-s/stream, {ffmpeg.detail}"
                    f" | CPU ratio ours/ffmpeg {ours.cpu / ffmpeg.cpu:5.2f}",
                    flush=True,
                )
                for side, outcome in (("ours", ours), ("ffmpeg", ffmpeg)):
                    if outcome.kept_up:
                        best[(preset, side)] = cameras
                if not ours.kept_up and not ffmpeg.kept_up:
                    break
    for preset in args.presets.split(","):
        ours_best, ffmpeg_best = best.get((preset, "ours"), 0), best.get((preset, "ffmpeg"), 0)
        ratio = f"{ours_best / ffmpeg_best:.2f}" if ffmpeg_best else "n/a"
        print(
            f"  {preset}: most cameras in real time: ours {ours_best}, ffmpeg CLI {ffmpeg_best}"
            f" (ratio {ratio})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
