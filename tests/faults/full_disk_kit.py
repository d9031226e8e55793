"""What tests/faults/test_disk_full.py runs its agents with: a small tmpfs of their own, a tiny portal
that keeps their heartbeats, the agent's command line, and a ballast file that fills the disk."""

from __future__ import annotations

import errno
import json
import signal
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.capture.conftest import SMALL_VIDEO, agent_command, store_env


def mount_tmpfs(directory: Path, megabytes: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={megabytes}M", "tmpfs", str(directory)],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        pytest.skip("no mount command here: a full spool needs a small file system of its own")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs for the spool (needs root): {done.stderr.strip()}")


class Heartbeats:
    """A tiny portal: keeps every JSON report POSTed to it."""

    def __init__(self) -> None:
        self.reports: list[dict[str, object]] = []
        reports = self.reports

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                reports.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def alarms(self) -> list[list[str]]:
        return [list(r["alarms"]) for r in list(self.reports) if isinstance(r.get("alarms"), list)]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def start_agent(spool: Path, recording_id: str, portal: str, *extra: str) -> subprocess.Popen[str]:
    env = store_env(None) | {"COURTREC_PORTAL_AGENT_TOKEN": "test-token"}
    return subprocess.Popen(
        agent_command(
            "record",
            "--room",
            "court-9",
            "--recording-id",
            recording_id,
            "--spool",
            str(spool),
            "--segment-seconds",
            "2",
            "--checkpoint-seconds",
            "3",
            "--portal",
            portal,
            "--source",
            f"{SMALL_VIDEO}&name=cam",
            *extra,
        ),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(agent: subprocess.Popen[str]) -> tuple[int, str, str]:
    agent.send_signal(signal.SIGTERM)
    out, err = agent.communicate(timeout=60)
    return agent.returncode, out, err


def fill(path: Path) -> int:
    """Write zeros to ``path`` until the disk is full; returns the bytes written."""
    written = 0
    block = b"\0" * (256 << 10)
    with path.open("wb", buffering=0) as ballast:
        while True:
            try:
                written += ballast.write(block)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                block = block[: len(block) // 2]
                if len(block) < 512:
                    return written
