"""Shared pieces of the live benchmarks: a live server process, CPU accounting, WHEP viewers on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import av
import httpx
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from streaming.ice import IcePolicy
from streaming.server.receiver_hooks import receive_encoded

DEVICE_TOKEN = "bench-device-token-0123456789-abcdef"
OPERATOR_TOKEN = "bench-operator-token-0123456789-abcd"
LOOPBACK = IcePolicy.loopback()
_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def live_env(public_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTREC_")}
    env |= {
        "COURTREC_STREAMING_ICE_HOST_ADDRESSES": '["127.0.0.1"]',
        "COURTREC_STREAMING_ICE_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
        "COURTREC_STREAMING_DEVICE_TOKENS": json.dumps({"bench": DEVICE_TOKEN}),
        "COURTREC_STREAMING_DEVICE_ROOMS": json.dumps({"bench": ["bench/*"]}),
        "COURTREC_STREAMING_OPERATOR_TOKEN": OPERATOR_TOKEN,
        "COURTREC_STREAMING_PUBLIC_DIR": str(public_dir),
        "COURTREC_LIVE_TOKEN": DEVICE_TOKEN,
    }
    return env


def start_server(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``python -m streaming serve`` on loopback; returns once it answers HTTP."""
    server = subprocess.Popen(
        [sys.executable, "-m", "streaming", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/wall", timeout=1)
            return server
        time.sleep(0.1)
    server.kill()
    sys.exit("the live server did not start")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


class Viewer:
    """A WHEP viewer; ``decode=False`` takes packets without decoding (costs the viewer little)."""

    def __init__(
        self,
        url: str,
        *,
        decode: bool,
        on_frame: Callable[[object], None] | None = None,
        policy: IcePolicy = LOOPBACK,
    ) -> None:
        self.url = url
        self._policy = policy
        self.decode = decode
        self.on_frame = on_frame
        self.frames = 0
        self._pc = RTCPeerConnection(policy.configuration())
        self._pc.addTransceiver("video", direction="recvonly")
        self._tasks: list[asyncio.Task[None]] = []
        self._location: str | None = None
        self._pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind != "video":
            return
        if not self.decode:
            receive_encoded(track)
        self._tasks.append(asyncio.ensure_future(self._consume(track)))

    async def _consume(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                item = await track.recv()
                self.frames += 1
                if self.on_frame is not None and isinstance(item, av.VideoFrame):
                    self.on_frame(item)

    async def start(self) -> None:
        with self._policy.gathering():
            await self._pc.setLocalDescription(await self._pc.createOffer())
        async with httpx.AsyncClient() as client:
            response = await client.post(
                self.url,
                content=self._pc.localDescription.sdp,
                headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {OPERATOR_TOKEN}"},
            )
        if response.status_code != 201:
            sys.exit(f"WHEP refused: {response.status_code} {response.text}")
        self._location = response.headers["location"]
        await self._pc.setRemoteDescription(
            RTCSessionDescription(self._policy.filter_sdp(response.text), "answer")
        )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self._pc.close()
        if self._location:
            async with httpx.AsyncClient() as client:
                with contextlib.suppress(httpx.HTTPError):
                    await client.delete(self._location, headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
