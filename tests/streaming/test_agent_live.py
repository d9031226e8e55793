"""The capture agent publishes live while recording, and survives the server going away.

The agent records until it is stopped (SIGINT, as the clerk's console stops it) once it has been seen
back on the restarted server, not for a fixed time: its recording must then cover, without a gap, at
least the whole time from when it was first seen live to the stop."""

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


# an upper bound only: the tests stop the agent with SIGINT
LIMIT_SECONDS = 90


def _start_agent(
    port: int, env: dict[str, str], spool: Path, room: str, source: str, *extra: str
) -> subprocess.Popen[str]:
    """``python -m capture record --live`` of one source (at most LIMIT_SECONDS), as recording
    ``rec-live``."""
    return subprocess.Popen(
        [
            sys.executable, "-m", "capture", "record",
            "--room", room, "--device-id", "dev-1", "--recording-id", "rec-live",
            "--spool", str(spool), "--duration", str(LIMIT_SECONDS), "--segment-seconds", "2",
            "--source", source, "--live", f"http://127.0.0.1:{port}/whip", *extra,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def _kill_and_restart_server(
    server: subprocess.Popen[bytes], port: int, env: dict[str, str], log: Path, feed_id: str
) -> subprocess.Popen[bytes]:
    """The server (or the link) dies mid-stream; a new one starts; the agent comes back by itself."""
    server.send_signal(signal.SIGKILL)
    server.wait()  # the agent is cut off until the new server answers (its start takes seconds)
    server = start_server(port, env, log)
    wait_for_feed(port, feed_id, timeout=30)  # its RTCP silence (5 s), backoff and the new start
    return server


def _stop(agent: subprocess.Popen[str]) -> str:
    """Stop the recording as the clerk's console does; the agent's output."""
    agent.send_signal(signal.SIGINT)
    output, _ = agent.communicate(timeout=60)
    return output


def _assert_recording_intact(spool: Path, at_least_seconds: float) -> None:
    """The journal of ``rec-live`` has no gap, no active alarm, and in every stream (track file)
    consecutive segments long enough."""
    events = journal_events(spool, "rec-live")
    assert not [e for e in events if e["type"] == "gap"], events
    assert not [e for e in events if e["type"] == "alarm" and e.get("active")], events
    streams = {str(e["stream"]) for e in events if e["type"] == "segment"}
    assert streams, events
    for stream in streams:
        segments = [e for e in events if e["type"] == "segment" and e["stream"] == stream]
        assert [s["segment"] for s in segments] == list(range(1, len(segments) + 1)), stream
        total = sum(float(s["duration"]) for s in segments)  # type: ignore[arg-type]
        assert total >= at_least_seconds, (stream, total)


def test_agent_reconnects_after_server_restart_and_recording_has_no_gap(tmp_path: Path) -> None:
    port = free_tcp_port()
    env = live_env(tmp_path)
    server_log = tmp_path / "server.log"
    server = start_server(port, env, server_log)
    spool = tmp_path / "spool"
    agent = _start_agent(
        port, env, spool, "bodycam-7", "synthetic#size=320x240&fps=15&name=cam",
        "--case", "2026-enf-1", "--officer", "Officer Li", "--gps", "31.2304,121.4737",
    )  # fmt: skip
    try:
        feed = wait_for_feed(port, "bodycam-7/cam", timeout=15)
        live_at = time.monotonic()
        telemetry = feed["telemetry"]
        deadline = time.monotonic() + 5
        while telemetry is None and time.monotonic() < deadline:
            time.sleep(0.3)
            telemetry = next(f for f in feeds(port) if f["id"] == "bodycam-7/cam")["telemetry"]
        assert isinstance(telemetry, dict), feeds(port)
        assert telemetry["officer"] == "Officer Li" and telemetry["case"] == "2026-enf-1"
        assert telemetry["gps"]["lat"] == 31.2304 and telemetry["gps"]["lon"] == 121.4737  # type: ignore[index]
        assert telemetry["recording"] == "recording"

        server = _kill_and_restart_server(server, port, env, server_log, "bodycam-7/cam")
        seen_live = time.monotonic() - live_at
        output = _stop(agent)
    finally:
        if agent.poll() is None:
            agent.kill()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    assert agent.returncode == 0, output
    assert "reconnecting" in output, output
    _assert_recording_intact(spool, seen_live)


def test_agent_publishes_an_audio_only_source_and_its_recording_survives_a_server_kill(
    tmp_path: Path,
) -> None:
    port = free_tcp_port()
    env = live_env(tmp_path)
    server_log = tmp_path / "server.log"
    server = start_server(port, env, server_log)
    spool = tmp_path / "spool"
    agent = _start_agent(port, env, spool, "court-3", "synthetic#video=0&tone=440&name=mic")
    try:
        feed = wait_for_feed(port, "court-3/mic", timeout=15)
        live_at = time.monotonic()
        assert feed["kinds"] == ["audio"], feed
        server = _kill_and_restart_server(server, port, env, server_log, "court-3/mic")
        seen_live = time.monotonic() - live_at
        output = _stop(agent)
    finally:
        if agent.poll() is None:
            agent.kill()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    assert agent.returncode == 0, output
    assert "publishing audio live" in output and "reconnecting" in output, output
    _assert_recording_intact(spool, seen_live)
