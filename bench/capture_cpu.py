"""CPU cost of recording: `python -m capture record` against the ffmpeg CLI doing the same work.

Both run side by side in this one run, for the same length of real time: 1280x720 at 30 fps with a
440 Hz tone, libx264 with the same preset, a keyframe every second (no scene-cut keyframes, no
B-frames), AAC 64 kbit/s, cut into 6-s fMP4 segments. x264's cost depends on the pictures, so the
baseline encodes the very same synthetic pictures: bench/synthetic_raw.py generates them in real
time and pipes them raw into the ffmpeg CLI (the binary from imageio-ffmpeg), whose HLS muxer writes
fMP4 segments; the generator's CPU counts on both sides. Our agent additionally burns in the UTC
caption, checks health, fsyncs every fragment, hashes every segment and writes the signed journal.

Prints CPU seconds (user + system) of each and the ratio ours / ffmpeg (goal: <= 1.10).
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg


def _cpu_seconds_of(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``command`` to completion; return (CPU seconds of it and its children, wall seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    completed = subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        sys.exit(f"{command[0]} failed: {completed.stderr.decode()[-2000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--preset", default="veryfast")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTREC_")}
    with tempfile.TemporaryDirectory(prefix="bench-capture-") as scratch:
        work = Path(scratch)
        ours = [
            sys.executable,
            "-m",
            "capture",
            "record",
            "--room",
            "bench",
            "--recording-id",
            "bench",
            "--spool",
            str(work / "spool"),
            "--duration",
            str(args.seconds),
            "--segment-seconds",
            "6",
            "--preset",
            args.preset,
            "--drain-seconds",
            "0",
            "--source",
            f"synthetic#size={args.size}&fps={args.fps}&tone=440&name=cam",
        ]
        (work / "ffmpeg").mkdir()
        generator = [
            sys.executable,
            str(Path(__file__).with_name("synthetic_raw.py")),
            "--size",
            args.size,
            "--fps",
            str(args.fps),
            "--seconds",
            str(args.seconds),
        ]
        encoder = [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "yuv420p",
            "-s",
            args.size,
            "-r",
            str(args.fps),
            "-i",
            "-",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
            "-t",
            str(args.seconds),
            "-c:v",
            "libx264",
            "-preset",
            args.preset,
            "-g",
            str(args.fps),
            "-sc_threshold",
            "0",
            "-bf",
            "0",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-ac",
            "1",
            "-f",
            "hls",
            "-hls_time",
            "6",
            "-hls_segment_type",
            "fmp4",
            "-hls_playlist_type",
            "event",
            "-hls_fmp4_init_filename",
            "init.mp4",
            "-hls_segment_filename",
            str(work / "ffmpeg" / "%08d.m4s"),
            str(work / "ffmpeg" / "index.m3u8"),
        ]
        baseline = ["bash", "-o", "pipefail", "-c", f"{shlex.join(generator)} | {shlex.join(encoder)}"]
        ffmpeg_cpu, ffmpeg_wall = _cpu_seconds_of(baseline, env)
        ours_cpu, ours_wall = _cpu_seconds_of(ours, env)
        ours_files = list((work / "spool").rglob("*.m4s"))
        segments = len(ours_files)
        track_files = len({path.parent for path in ours_files})  # video and sound: one track per file
        ffmpeg_segments = len(list((work / "ffmpeg").glob("*.m4s")))
    print(
        f"capture CPU, {args.seconds} s of {args.size}@{args.fps} + tone, preset {args.preset}, 6-s segments"
    )
    print(
        f"  courtrec capture agent: {ours_cpu:7.2f} CPU-s"
        f"  (wall {ours_wall:5.1f} s, {segments} segments in {track_files} track files)"
    )
    print(
        f"  ffmpeg CLI baseline:    {ffmpeg_cpu:7.2f} CPU-s"
        f"  (wall {ffmpeg_wall:5.1f} s, {ffmpeg_segments} segments)"
    )
    print(f"  ratio ours/ffmpeg:      {ours_cpu / ffmpeg_cpu:7.3f}  (goal <= 1.10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
