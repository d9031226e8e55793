"""Glass-to-glass latency on loopback: capture agent → (relay server) → WebRTC viewer, at 720p30.

The agent (``python -m capture record --live``) records the synthetic source with ``clock=1``: each
picture carries, as black/white blocks, the wall-clock time at which the source delivered it. It is
encoded once by the recorder (libx264 veryfast, 1 s GOP), published over WHIP, relayed by a real
``python -m streaming serve`` process without decoding, and received by an aiortc WHEP viewer in
this process, which decodes each picture and reads the stamp back: latency = arrival - stamp.

Baseline, measured in the same run: the same agent publishing straight to a WHIP endpoint in this
process that decodes (no relay hop) — the difference is what the relay adds. Goal: p95 < 250 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import uvicorn
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from live_kit import LOOPBACK, Viewer, free_port, live_env, percentile, start_server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from devices import read_clock_stamp
from devices.planes import plane_array

SOURCE = "synthetic#size=1280x720&fps=30&audio=0&clock=1&name=cam"


class LatencyMeter:
    """Collects picture latencies (ms) from decoded frames once ``recording`` is set."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.unreadable = 0
        self.recording = False

    def frame(self, frame: object) -> None:
        if not self.recording or not isinstance(frame, av.VideoFrame):
            return
        now = time.time_ns() // 1_000_000
        stamp = read_clock_stamp(plane_array(frame, 0))
        if stamp is None:
            self.unreadable += 1
            return
        self.samples.append(float((now - stamp) & 0xFFFFFFFF))


def start_agent(whip: str, env: dict[str, str], spool: Path, seconds: float) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "capture", "record", "--room", "bench", "--device-id", "bench"]
    command += ["--spool", str(spool), "--duration", str(seconds), "--source", SOURCE, "--live", whip]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def through_relay(args: argparse.Namespace, env: dict[str, str], scratch: Path) -> LatencyMeter:
    port = free_port()
    server = start_server(port, env)
    agent = start_agent(f"http://127.0.0.1:{port}/whip", env, scratch / "spool-relay", args.seconds + 15)
    meter = LatencyMeter()
    try:
        viewer = Viewer(f"http://127.0.0.1:{port}/whep/bench/cam", decode=True, on_frame=meter.frame)
        for _ in range(100):  # until the agent is publishing
            with contextlib.suppress(SystemExit):
                await viewer.start()
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(args.warmup)
        meter.recording = True
        await asyncio.sleep(args.seconds)
        meter.recording = False
        await viewer.stop()
    finally:
        agent.terminate()
        agent.wait()
        server.terminate()
        server.wait()
    return meter


def direct_endpoint(meter: LatencyMeter, tasks: set[asyncio.Task[None]]) -> Starlette:
    """A WHIP endpoint that decodes what it receives (no relay)."""

    async def consume(track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                meter.frame(await track.recv())

    async def publish(request: Request) -> Response:
        pc = RTCPeerConnection(LOOPBACK.configuration())
        pc.on("track", lambda track: tasks.add(asyncio.ensure_future(consume(track))))
        offer = LOOPBACK.filter_sdp((await request.body()).decode())
        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        with LOOPBACK.gathering():
            await pc.setLocalDescription(await pc.createAnswer())
        headers = {"Location": "/whip/session"}
        return Response(pc.localDescription.sdp, 201, media_type="application/sdp", headers=headers)

    async def end(_request: Request) -> Response:
        return Response(status_code=200)

    routes = [
        Route("/whip/bench/cam", publish, methods=["POST"]),
        Route("/whip/session", end, methods=["DELETE"]),
    ]
    return Starlette(routes=routes)


async def direct(args: argparse.Namespace, env: dict[str, str], scratch: Path) -> LatencyMeter:
    meter = LatencyMeter()
    tasks: set[asyncio.Task[None]] = set()
    server = uvicorn.Server(uvicorn.Config(direct_endpoint(meter, tasks), port=0, log_level="warning"))
    serving = asyncio.ensure_future(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    agent = start_agent(f"http://127.0.0.1:{port}/whip", env, scratch / "spool-direct", args.seconds + 15)
    try:
        for _ in range(300):
            if tasks:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(args.warmup)
        meter.recording = True
        await asyncio.sleep(args.seconds)
        meter.recording = False
    finally:
        agent.terminate()
        await asyncio.to_thread(agent.wait)
        for task in tasks:
            task.cancel()
        server.should_exit = True
        await serving
    return meter


def report(name: str, meter: LatencyMeter) -> tuple[float, float]:
    if not meter.samples:
        sys.exit(f"{name}: no readable frames")
    p50, p95 = percentile(meter.samples, 0.5), percentile(meter.samples, 0.95)
    print(
        f"{name:>24}: {len(meter.samples)} frames, p50 {p50:6.1f} ms, p95 {p95:6.1f} ms, "
        f"max {max(meter.samples):6.1f} ms (unreadable stamps: {meter.unreadable})",
        flush=True,
    )
    return p50, p95


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        env = live_env(scratch / "public")
        relay_p50, relay_p95 = report("agent → relay → viewer", await through_relay(args, env, scratch))
        direct_p50, direct_p95 = report("agent → viewer (direct)", await direct(args, env, scratch))
    print(
        f"\nglass-to-glass through the relay: p50 {relay_p50:.0f} ms, p95 {relay_p95:.0f} ms "
        "(goal p95 < 250 ms)"
    )
    print(f"the relay hop adds: p50 {relay_p50 - direct_p50:+.1f} ms, p95 {relay_p95 - direct_p95:+.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measurement window per path")
    parser.add_argument("--warmup", type=float, default=3.0)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
