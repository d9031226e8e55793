"""The gap of a crash is as long as the recorder was really down, whatever the wall clock did
meanwhile: the restarted run measures it on this boot's monotonic clock (COURTREC_FAULT_WALL_STEP_SECONDS
steps the restarted process's wall clock) and journals the step; after a reboot (another boot id in
the clock mark) it falls back to the wall clock and says so in the gap."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest

from capture.cli import main as capture_main
from capture.recovery.restart_clock import MARK_FILE, WALL_STEP_ENV

from .crash_helpers import CrashSpool
from .in_process import run_main

pytestmark = pytest.mark.integration


def _restart(spool: CrashSpool, seconds: float, env: dict[str, str]) -> None:
    """The restart, in this process (tests/faults/in_process): the killed run was the real process."""
    command = ["capture", *spool.arguments("--duration", str(seconds))]
    result = run_main(capture_main, command, spool.env() | env)
    assert result.returncode == 0, result.stderr[-3000:]


def _restart_gap(spool: CrashSpool) -> tuple[float, str]:
    gaps = [e for e in spool.events() if e["type"] == "gap" and "restarted" in str(e["reason"])]
    assert len(gaps) == 1, gaps
    start, end = (datetime.fromisoformat(str(gaps[0][key])) for key in ("from", "to"))
    return (end - start).total_seconds(), str(gaps[0]["reason"])


def _crash_and_wait(spool: CrashSpool, down_seconds: float) -> float:
    spool.kill_mid_segment(2)
    killed = time.monotonic()
    time.sleep(down_seconds)
    return killed


@pytest.mark.parametrize("step", [3600, -3600])
def test_a_wall_step_between_runs_does_not_change_the_gap(tmp_path: Path, step: int) -> None:
    spool = CrashSpool(tmp_path, None)
    killed = _crash_and_wait(spool, 2.0)
    _restart(spool, 2, {WALL_STEP_ENV: str(step)})
    restarted_by = time.monotonic()  # the restart's media began before it ended, however slow its start-up
    length, reason = _restart_gap(spool)
    # from the last sealed media (≤ one 2-s segment before the kill) to the restart, no more
    assert 2.0 <= length <= (restarted_by - killed) + 2.0, length
    assert "wall clock" not in reason
    steps = [e for e in spool.events() if e["type"] == "clock_step"]
    assert len(steps) == 1 and abs(float(str(steps[0]["step_seconds"])) - step) < 30, steps


def test_after_a_reboot_the_gap_is_measured_by_the_wall_clock_and_says_so(tmp_path: Path) -> None:
    spool = CrashSpool(tmp_path, None)
    _crash_and_wait(spool, 1.0)
    mark = spool.recording / MARK_FILE
    data = json.loads(mark.read_text())
    mark.write_text(json.dumps(data | {"boot_id": "a-boot-before-the-last-reboot"}))
    _restart(spool, 2, {})
    length, reason = _restart_gap(spool)
    assert 1.0 <= length < 30, length
    assert "wall clock" in reason
    assert not [e for e in spool.events() if e["type"] == "clock_step"]
