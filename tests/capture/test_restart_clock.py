"""A restart's "now" on the last run's timeline: monotonic within one boot (a wall step between runs
changes nothing but a journaled step), the wall clock after a reboot or without a mark."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from capture.recovery.restart_clock import (
    MARK_FILE,
    WALL_STEP_ENV,
    load_mark,
    read_boot_id,
    restart_time,
    save_mark,
    with_fault_wall_step,
)
from timebase import ManualClock, SystemClock

BOOT = "0f6c1f43-2d55-4c71-9d3e-6a1d8f9e2a10"


@pytest.mark.parametrize("step", [3600.0, -3600.0, 0.0])
def test_a_restart_in_the_same_boot_is_placed_by_the_monotonic_clock(tmp_path: Path, step: float) -> None:
    clock = ManualClock()
    save_mark(tmp_path, clock, BOOT)
    marked = clock.now()
    clock.advance(7.5)  # the recorder was down 7.5 s …
    clock.step_wall(step)  # … and the wall clock stepped meanwhile
    restart = restart_time(load_mark(tmp_path), clock, BOOT)
    assert restart.at == marked + timedelta(seconds=7.5)
    assert not restart.from_wall
    assert restart.step_seconds == step


def test_after_a_reboot_only_the_wall_clock_is_left(tmp_path: Path) -> None:
    clock = ManualClock()
    save_mark(tmp_path, clock, BOOT)
    clock.advance(30)
    clock.step_wall(-10)
    restart = restart_time(load_mark(tmp_path), clock, "another-boot")
    assert restart.from_wall and restart.at == clock.now() and restart.step_seconds == 0.0


def test_no_mark_or_an_unreadable_one_means_the_wall_clock(tmp_path: Path) -> None:
    clock = ManualClock()
    assert restart_time(load_mark(tmp_path), clock, BOOT).from_wall
    (tmp_path / MARK_FILE).write_text("{not json")
    assert load_mark(tmp_path) is None


def test_the_boot_id_is_read_from_the_kernel(tmp_path: Path) -> None:
    (tmp_path / "boot_id").write_text(BOOT + "\n")
    assert read_boot_id(tmp_path / "boot_id") == BOOT
    assert read_boot_id(tmp_path / "missing") is None
    if Path("/proc/sys/kernel/random/boot_id").exists():
        assert read_boot_id() == read_boot_id()  # the same boot, read twice


def test_the_fault_variable_steps_the_wall_clock_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WALL_STEP_ENV, "-120")
    stepped = with_fault_wall_step(SystemClock())
    assert abs((SystemClock().now() - stepped.now()).total_seconds() - 120) < 1
    assert abs(stepped.monotonic() - SystemClock().monotonic()) < 1
    monkeypatch.setenv(WALL_STEP_ENV, "soon")
    with pytest.raises(ValueError, match=WALL_STEP_ENV):
        with_fault_wall_step(SystemClock())
