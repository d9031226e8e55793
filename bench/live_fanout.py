"""Relay cost per viewer: server CPU at 720p30 with 1, 5 and 20 viewers of one feed.

One feed is published over WHIP by a publisher process: 1280x720 at 30 fps, libx264 veryfast at
2 Mbit/s, a keyframe every second (the recorder's encoder settings), the synthetic pattern with
sensor-like noise added so that the packet rate is a camera's rather than a test card's. It
pre-encodes 10 s once and replays the packets in real time, so our own encoder does not
compete for the 2 cores. The server is a real ``python -m streaming serve`` process; viewers are
aiortc WHEP peers, five per process, that take packets without decoding (the bench must not measure
viewers decoding); publisher, viewers and server are separate processes, so none starves another
of the GIL. The server's CPU (user + system, /proc) is sampled over ``--seconds`` per
viewer count.

Baseline, measured in the same run: what one viewer would cost a relay that decodes and re-encodes
(PyAV decode + aiortc's own H.264 encoder, the way an aiortc relay without our hook works), on the
same packets. Goal: each added viewer < 3 % of a core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import queue
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from aiortc.codecs.h264 import H264Encoder
from live_kit import DEVICE_TOKEN, LOOPBACK, Viewer, free_port, live_env, process_cpu_seconds, start_server

from capture.recording.stream.encoder import VideoEncoderConfig, open_video_encoder
from devices.generated.pattern import MovingPattern
from devices.planes import plane_array
from streaming.publisher.link_quality import LinkQuality
from streaming.publisher.live_input import LiveInput
from streaming.publisher.live_publisher import LivePublisher
from streaming.publisher.whip_client import WhipClient

FPS = 30


@dataclass(frozen=True)
class Packet:
    data: bytes
    pts: int
    time_base: Fraction
    keyframe: bool


def pre_encode(seconds: int) -> list[tuple[bytes, bool]]:
    config = VideoEncoderConfig(width=1280, height=720, fps=Fraction(FPS), bitrate=2_000_000)
    encoder = open_video_encoder(config)
    pattern = MovingPattern(1280, 720)
    noise = np.random.default_rng(7).integers(-6, 7, (8, 720, 1280), dtype=np.int16)
    out: list[tuple[bytes, bool]] = []
    for index in range(seconds * FPS):
        frame = pattern.render(index)
        luma = plane_array(frame, 0)
        np.copyto(luma, np.clip(luma + noise[index % len(noise)], 16, 235).astype(np.uint8))
        frame.pts, frame.time_base = index, Fraction(1, FPS)
        out += [(bytes(p), p.is_keyframe) for p in encoder.encode(frame)]
    out += [(bytes(p), p.is_keyframe) for p in encoder.encode(None)]
    return out


def replay(packets: list[tuple[bytes, bool]], sink: queue.Queue[Packet], stop: threading.Event) -> None:
    start = time.monotonic()
    index = 0
    while not stop.is_set():
        delay = start + index / FPS - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        data, keyframe = packets[index % len(packets)]
        if sink.full():
            sink.get_nowait()
        sink.put_nowait(Packet(data, index, Fraction(1, FPS), keyframe))
        index += 1


def transcode_cost(packets: list[tuple[bytes, bool]]) -> float:
    """CPU seconds per minute of video to decode and re-encode (aiortc's H264Encoder) one stream."""
    decoder = av.CodecContext.create("h264", "r")
    encoder = H264Encoder()
    started = time.process_time()
    count = 0
    for index, (data, _) in enumerate(packets):
        packet = av.Packet(data)
        packet.pts, packet.time_base = index, Fraction(1, FPS)
        for frame in decoder.decode(packet):
            frame.pts, frame.time_base = index, Fraction(1, FPS)
            encoder.encode(frame)
            count += 1
    return (time.process_time() - started) / (count / FPS) * 60


def view(args: argparse.Namespace) -> None:
    """Role ``view``: ``--count`` viewers in this process; writes their frame counts to ``--report``."""

    async def run() -> None:
        viewers = [Viewer(args.url, decode=False) for _ in range(args.count)]
        for viewer in viewers:
            await viewer.start()
        while True:
            await asyncio.to_thread(
                _write_atomically, Path(args.report), json.dumps([v.frames for v in viewers])
            )
            await asyncio.sleep(0.5)

    asyncio.run(run())


def _write_atomically(path: Path, text: str) -> None:
    """The orchestrator polls the report: it must never see a half-written (or empty) file."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    temporary.replace(path)


def publish(args: argparse.Namespace) -> None:
    """Role ``publish``: replay the pre-encoded feed over WHIP until killed."""
    packets = pre_encode(10)
    stop = threading.Event()
    tap: queue.Queue[Packet] = queue.Queue(maxsize=60)
    threading.Thread(target=replay, args=(packets, tap, stop), daemon=True).start()
    publisher = LivePublisher(
        "cam",
        WhipClient(args.url, DEVICE_TOKEN),
        LOOPBACK,
        LiveInput(video=tap, audio=None, request_keyframe=lambda: None),
        # measure the relay, not the link: never fall back to keyframes only on a loaded machine
        quality=LinkQuality(loss_enter=2.0, remb_margin=0.0),
    )
    publisher.start()
    print("publishing", flush=True)
    stop.wait()


def _spawn(role: str, url: str, env: dict[str, str], *extra: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, __file__, "--role", role, "--url", url, *extra]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def _frames(reports: list[Path]) -> list[int]:
    counts: list[int] = []
    for report in reports:
        counts += json.loads(report.read_text()) if report.exists() else []
    return counts


def orchestrate(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        env = live_env(scratch / "public")
        port = free_port()
        server = start_server(port, env)
        base = f"http://127.0.0.1:{port}"
        children = [server]
        try:
            publisher = _spawn("publish", f"{base}/whip/bench/cam", env)
            children.append(publisher)
            assert publisher.stdout is not None
            print("pre-encoding 10 s of 1280x720@30 (noisy, 2 Mbit/s) in the publisher ...", flush=True)
            publisher.stdout.readline()
            time.sleep(args.warmup)
            rows = [(0, window_cpu(server.pid, args.seconds), 30.0)]
            print(f"   0 viewers: server {rows[0][1]:6.2f} CPU-s/min (ingest only)", flush=True)
            reports: list[Path] = []
            for target in args.viewers:
                while len(_frames(reports)) < target:
                    count = min(5, target - len(_frames(reports)))
                    report = scratch / f"viewers-{len(reports)}.json"
                    children.append(
                        _spawn(
                            "view",
                            f"{base}/whep/bench/cam",
                            env,
                            "--count",
                            str(count),
                            "--report",
                            str(report),
                        )
                    )
                    reports.append(report)
                    while len(_frames([report])) < count:
                        time.sleep(0.2)
                time.sleep(args.warmup)
                before, started = _frames(reports), time.monotonic()
                cpu = window_cpu(server.pid, args.seconds)
                wall = time.monotonic() - started
                fps = min(a - b for a, b in zip(_frames(reports), before, strict=True)) / wall
                rows.append((target, cpu, fps))
                print(
                    f"  {target:2d} viewers: server {cpu:6.2f} CPU-s/min, slowest viewer {fps:5.1f} fps",
                    flush=True,
                )
        finally:
            for child in reversed(children):
                child.terminate()
                child.wait()
    summarize(rows)


def window_cpu(pid: int, seconds: float) -> float:
    """CPU seconds per minute that ``pid`` used over the next ``seconds``."""
    before, started = process_cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (process_cpu_seconds(pid) - before) / (time.monotonic() - started) * 60


def summarize(rows: list[tuple[int, float, float]]) -> None:
    transcode = transcode_cost(pre_encode(5))
    (n1, c1, _), (nmax, cmax, _) = rows[1], rows[-1]
    per_viewer = (cmax - c1) / (nmax - n1)
    print()
    print("server CPU-s per minute: " + ", ".join(f"{n} viewers {c:.2f}" for n, c, _ in rows))
    print(
        f"increment per added viewer ({n1} -> {nmax}): {per_viewer:.2f} CPU-s/min = {per_viewer / 60:.1%} "
        "of a core (goal < 3%)"
    )
    print(
        "baseline, a relay that decodes + re-encodes (aiortc H264Encoder) per viewer: "
        f"{transcode:.1f} CPU-s/min = {transcode / 60:.0%} of a core"
    )
    print(f"ratio decode-free / transcoding per viewer: {per_viewer / transcode:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--seconds", type=float, default=20.0, help="measurement window per viewer count")
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--role", choices=["orchestrate", "publish", "view"], default="orchestrate")
    parser.add_argument("--url", default="")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--report", default="")
    args = parser.parse_args()
    {"orchestrate": orchestrate, "publish": publish, "view": view}[args.role](args)


if __name__ == "__main__":
    main()
