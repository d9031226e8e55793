"""Live from a real body camera while its uploader drains a backlog over the shaped link (part of
bench/bodycam_drain.py): the camera publishes over WHIP to the relay in the namespace, a WHEP viewer
here reads the burned-in clock of each picture back."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import av
from live_kit import DEVICE_TOKEN, Viewer, live_env

from archive.formats.hashing import sha256_file
from archive.spool import UploadQueue, queue_path
from archive.store import StoreConfig
from devices import read_clock_stamp
from devices.planes import plane_array
from streaming.ice import IcePolicy
from tests.streaming.netns import PeerHost

LIVE_SOURCE = "synthetic#size={size}&fps=25&audio=0&clock=1&name=cam"
RELAY_PORT = 18580


def enqueue(queue: UploadQueue, files: list[Path], prefix: str) -> None:
    for path in files:
        queue.enqueue(
            object_key=f"{prefix}/{path.name}",
            local_path=path,
            sha256=sha256_file(path),  # the recorder's cost at seal time, not the uploader's
            size=path.stat().st_size,
            recording_id=prefix,
            delete_after_upload=True,
        )


@dataclasses.dataclass
class LiveResult:
    latencies: list[float] = dataclasses.field(default_factory=list)
    unreadable: int = 0
    drained_bytes: int = 0
    seconds: float = 0.0
    meter_rates: list[float] = dataclasses.field(default_factory=list)


def _status(port: int, spool: Path) -> dict[str, object]:
    """The bodycam's /status, with the owner-only control token from its spool."""
    token = (spool / "device" / "control-token").read_text().strip()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/status", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, object] = json.loads(response.read())
        return answer


async def live_while_draining(
    peer: PeerHost,
    config: StoreConfig,
    backlog_bytes: int,
    files: list[Path],
    run: Path,
    args: argparse.Namespace,
) -> LiveResult:
    """Live from a real bodycam whose spool holds ``backlog_bytes`` (copies of ``files``, cycled;
    0: live alone, the baseline) while it drains; measured for ``--live-seconds`` or until drained."""
    scratch = run
    network = peer.network
    env = live_env(scratch / "public")
    relay_env = env | {
        "COURTREC_STREAMING_ICE_HOST_ADDRESSES": json.dumps([peer.peer_address]),
        "COURTREC_STREAMING_ICE_ALLOWED_NETWORKS": json.dumps([network]),
    }
    relay = _popen(
        peer.command(
            sys.executable, "-m", "streaming", "serve", "--host", peer.peer_address, "--port", str(RELAY_PORT)
        ),
        env=relay_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    spool = scratch / "bodycam-spool"
    (spool / "backlog").mkdir(parents=True)
    copies: list[Path] = []
    while sum(p.stat().st_size for p in copies) < backlog_bytes:
        source = files[len(copies) % len(files)]
        copies.append(Path(shutil.copy2(source, spool / "backlog" / f"{len(copies) + 1:08d}.m4s")))
    with UploadQueue(queue_path(spool)) as queue:
        enqueue(queue, copies, f"backlog-{run.name}")
    cam_env = env | {
        "COURTREC_STREAMING_ICE_HOST_ADDRESSES": json.dumps([peer.host_address]),
        "COURTREC_STREAMING_ICE_ALLOWED_NETWORKS": json.dumps([network]),
        "COURTREC_S3_ENDPOINT": config.endpoint,
        "COURTREC_S3_ACCESS_KEY": config.access_key,
        "COURTREC_S3_SECRET_KEY": config.secret_key,
        "COURTREC_S3_BUCKET": config.bucket,
        "COURTREC_LIVE_TOKEN": DEVICE_TOKEN,
    }
    result = LiveResult()
    policy = IcePolicy.from_lists((), (peer.host_address,), (network,))
    await _wait_http(f"http://{peer.peer_address}:{RELAY_PORT}/wall")
    camera = _popen(
        [
            sys.executable, "-m", "capture", "bodycam", "--device-id", "bench", "--unit", "bench",
            "--spool", str(spool), "--source", LIVE_SOURCE.format(size=args.live_size),
            "--pre-event-seconds", "0",
            "--activate-on-start", "--control-port", "0", "--upload-rate-live", str(args.upload_rate_live),
            "--live", f"http://{peer.peer_address}:{RELAY_PORT}/whip",
        ],
        env=cam_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    recording = False

    def frame(item: object) -> None:
        if not recording or not isinstance(item, av.VideoFrame):
            return
        now = time.time_ns() // 1_000_000
        stamp = read_clock_stamp(plane_array(item, 0))
        if stamp is None:
            result.unreadable += 1
        else:
            result.latencies.append(float((now - stamp) & 0xFFFFFFFF))

    viewer = Viewer(
        f"http://{peer.peer_address}:{RELAY_PORT}/whep/bench/cam", decode=True, on_frame=frame, policy=policy
    )
    try:
        port = await asyncio.to_thread(_control_port, camera)
        for _ in range(150):  # until the camera is publishing
            with contextlib.suppress(SystemExit):
                await viewer.start()
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(args.warmup)
        recording = True
        first = await asyncio.to_thread(_status, port, spool)
        began = time.monotonic()
        while time.monotonic() - began < args.live_seconds:
            await asyncio.sleep(2)
            beat = await asyncio.to_thread(_status, port, spool)
            if beat["upload_bytes_per_second"]:
                result.meter_rates.append(float(str(beat["upload_bytes_per_second"])))
            if backlog_bytes and not beat["backlog_segments"]:
                break  # drained: what follows is live alone
        recording = False
        last = await asyncio.to_thread(_status, port, spool)
        result.seconds = time.monotonic() - began
        result.drained_bytes = int(str(first["backlog_bytes"])) - int(str(last["backlog_bytes"]))
        await viewer.stop()
    finally:
        for process in (camera, relay):
            process.terminate()
            try:
                await asyncio.to_thread(process.wait, 60)
            except subprocess.TimeoutExpired:
                process.kill()
    return result


def _popen(argv: list[str], *, env: dict[str, str], **options: Any) -> subprocess.Popen[str]:
    """Start a process (the bench's own children: started once, before any waiting on the loop)."""
    return subprocess.Popen(argv, env=env, text=True, **options)


def _control_port(camera: subprocess.Popen[str]) -> int:
    assert camera.stdout is not None
    for line in camera.stdout:
        if "on standby" in line:
            threading.Thread(target=_read_all, args=(camera,), daemon=True).start()  # never a full pipe
            return int(line.rsplit(":", 1)[1])
    sys.exit("the bodycam ended before it was ready")


def _read_all(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    for _line in process.stdout:
        pass


async def _wait_http(url: str) -> None:
    for _ in range(300):
        try:
            await asyncio.to_thread(urllib.request.urlopen, url, timeout=1)
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            await asyncio.sleep(0.1)
            continue
        return
        await asyncio.sleep(0.1)
    sys.exit(f"{url} did not answer")
