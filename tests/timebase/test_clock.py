"""The clock seam: the manual clock releases waiters when advanced, without real waiting."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.waiting import wait_until
from timebase import Clock, ClockStepDetector, ManualClock, SystemClock


def test_system_clock_is_aware_utc_and_monotonic() -> None:
    clock: Clock = SystemClock()
    assert clock.now().tzinfo is UTC
    first = clock.monotonic()
    assert clock.monotonic() >= first
    event = threading.Event()
    event.set()
    assert clock.wait(event, 10)


def test_manual_clock_moves_wall_and_monotonic_together() -> None:
    start = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
    clock = ManualClock(start, monotonic=5.0)
    clock.advance(2.5)
    clock.advance(timedelta(seconds=0.5))
    assert clock.monotonic() == 8.0
    assert clock.now() == start + timedelta(seconds=3)
    with pytest.raises(ValueError, match="'seconds' must be >= 0"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2025, 1, 1))


def test_manual_wait_ends_when_time_is_advanced_past_its_deadline() -> None:
    clock = ManualClock()
    event = threading.Event()
    results: list[bool] = []
    waiter = threading.Thread(target=lambda: results.append(clock.wait(event, 30.0)))
    waiter.start()
    wait_until(lambda: clock.waiters == 1, 5, "the waiter to block")
    clock.advance(29.0)
    assert waiter.is_alive()
    clock.advance(1.0)
    waiter.join(5)
    assert results == [False]


def test_manual_wait_ends_when_its_event_is_set() -> None:
    clock = ManualClock()
    event = threading.Event()
    results: list[bool] = []
    waiter = threading.Thread(target=lambda: results.append(clock.wait(event, 30.0)))
    waiter.start()
    event.set()
    waiter.join(5)
    assert results == [True]


def test_manual_wait_notified_ends_on_notify_or_advance() -> None:
    clock = ManualClock()
    condition = threading.Condition()
    results: list[bool] = []

    def wait() -> None:
        with condition:
            results.append(clock.wait_notified(condition, 10.0))

    first = threading.Thread(target=wait)
    first.start()
    wait_until(lambda: clock.waiters == 1, 5, "the waiter to block")
    with condition:
        condition.notify_all()
    first.join(5)
    second = threading.Thread(target=wait)
    second.start()
    wait_until(lambda: clock.waiters == 1, 5, "the waiter to block")
    clock.advance(10.0)
    second.join(5)
    assert results == [True, False]


def test_a_wall_clock_step_is_noticed_once_and_small_drift_is_not() -> None:
    clock = ManualClock(datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    detector = ClockStepDetector(clock)
    clock.advance(30)
    clock.step_wall(0.6)  # NTP slewing, not a step
    assert detector.check() is None
    clock.step_wall(-3600)  # someone set the clock back an hour
    step = detector.check()
    assert step is not None and step.seconds == pytest.approx(-3599.4)
    assert step.observed == clock.now() and step.expected == datetime(2026, 1, 1, 9, 0, 30, tzinfo=UTC)
    assert clock.monotonic() == 1030.0  # the monotonic clock did not move with the wall
    clock.advance(5)
    assert detector.check() is None  # reported once: the new wall time is the reference
    clock.step_wall(2)
    forward = detector.check()
    assert forward is not None and forward.seconds == pytest.approx(2.0)
