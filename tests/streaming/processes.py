"""Running ``python -m streaming serve`` and ``python -m capture record --live`` as real processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .conftest import DEVICE_ID, DEVICE_TOKEN, OPERATOR_TOKEN, TEST_BINDINGS


def free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def live_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for both processes: loopback ICE, one device token, no object store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTREC_")}
    env |= {
        "COURTREC_STREAMING_ICE_HOST_ADDRESSES": '["127.0.0.1"]',
        "COURTREC_STREAMING_ICE_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
        "COURTREC_STREAMING_DEVICE_TOKENS": json.dumps({DEVICE_ID: DEVICE_TOKEN}),
        "COURTREC_STREAMING_DEVICE_ROOMS": json.dumps({DEVICE_ID: list(TEST_BINDINGS)}),
        "COURTREC_STREAMING_OPERATOR_TOKEN": OPERATOR_TOKEN,
        "COURTREC_STREAMING_PUBLIC_DIR": str(tmp_path / "public"),
        "COURTREC_LIVE_TOKEN": DEVICE_TOKEN,
        **extra,
    }
    return env


def start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start the live server and wait until it answers HTTP."""
    process = subprocess.Popen(
        [sys.executable, "-m", "streaming", "serve", "--port", str(port)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60  # its imports alone take tens of seconds on a loaded machine
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            httpx.get(f"http://127.0.0.1:{port}/wall", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"live server did not start: {log.read_text()}")


def feeds(port: int) -> list[dict[str, object]]:
    """The server's feed list, as the wall sees it."""
    response = httpx.get(
        f"http://127.0.0.1:{port}/api/feeds", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}, timeout=2
    )
    response.raise_for_status()
    items: list[dict[str, object]] = response.json()["feeds"]
    return items


def wait_for_feed(port: int, feed_id: str, timeout: float) -> dict[str, object]:
    """Poll until ``feed_id`` is connected and has had a frame within the last second."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for feed in feeds(port):
            since = feed["seconds_since_frame"]
            if feed["id"] == feed_id and feed["connected"] and isinstance(since, float | int) and since < 1:
                return feed
        time.sleep(0.2)
    raise AssertionError(f"feed {feed_id} not live within {timeout} s: {feeds(port)}")
