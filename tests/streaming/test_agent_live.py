"""The capture agent publishes live while recording, and survives the server going away."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.capture.conftest import journal_events

from .processes import feeds, free_tcp_port, live_env, start_server, wait_for_feed

pytestmark = pytest.mark.integration


def test_agent_reconnects_after_server_restart_and_recording_has_no_gap(tmp_path: Path) -> None:
    port = free_tcp_port()
    env = live_env(tmp_path)
    server_log = tmp_path / "server.log"
    server = start_server(port, env, server_log)
    spool = tmp_path / "spool"
    agent = subprocess.Popen(
        [
            sys.executable, "-m", "capture", "record",
            "--room", "bodycam-7", "--case", "2026-enf-1", "--officer", "Officer Li",
            "--gps", "31.2304,121.4737",
            "--device-id", "dev-1", "--recording-id", "rec-live",
            "--spool", str(spool), "--duration", "22", "--segment-seconds", "2",
            "--source", "synthetic#size=320x240&fps=15&name=cam",
            "--live", f"http://127.0.0.1:{port}/whip",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        feed = wait_for_feed(port, "bodycam-7/cam", timeout=15)
        telemetry = feed["telemetry"]
        deadline = time.monotonic() + 5
        while telemetry is None and time.monotonic() < deadline:
            time.sleep(0.3)
            telemetry = next(f for f in feeds(port) if f["id"] == "bodycam-7/cam")["telemetry"]
        assert isinstance(telemetry, dict), feeds(port)
        assert telemetry["officer"] == "Officer Li" and telemetry["case"] == "2026-enf-1"
        assert telemetry["gps"]["lat"] == 31.2304 and telemetry["gps"]["lon"] == 121.4737  # type: ignore[index]
        assert telemetry["recording"] == "recording"

        server.send_signal(signal.SIGKILL)  # the server (or the link) dies mid-stream
        server.wait()
        time.sleep(1.0)
        server = start_server(port, env, server_log)
        wait_for_feed(port, "bodycam-7/cam", timeout=15)  # the agent came back by itself
        output, _ = agent.communicate(timeout=60)
    finally:
        if agent.poll() is None:
            agent.kill()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    assert agent.returncode == 0, output
    assert "reconnecting" in output, output

    events = journal_events(spool, "rec-live")
    assert not [e for e in events if e["type"] == "gap"], events
    assert not [e for e in events if e["type"] == "alarm" and e.get("active")], events
    segments = [e for e in events if e["type"] == "segment"]
    assert [s["segment"] for s in segments] == list(range(1, len(segments) + 1))
    total = sum(float(s["duration"]) for s in segments)  # type: ignore[arg-type]
    assert total >= 20, total
