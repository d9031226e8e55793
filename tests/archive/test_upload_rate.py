"""The upload rate cap paces the start of uploads so the backlog averages at most the rate."""

from __future__ import annotations

import threading
import time

import pytest

from archive.spool.upload_rate import UploadMeter, UploadRate
from capture.bodycam.heartbeat import drain_seconds
from timebase import SystemClock


def test_uploads_start_no_faster_than_the_rate_allows() -> None:
    rate = UploadRate(1_000_000, SystemClock())
    stop = threading.Event()
    started = []
    for _ in range(3):
        assert rate.wait_turn(400_000, stop)
        started.append(time.monotonic())
    assert started[2] - started[0] >= 0.75  # 800 kB before it at 1 MB/s
    assert started[2] - started[0] < 3.0


def test_a_stop_ends_the_wait() -> None:
    rate = UploadRate(1000, SystemClock())
    stop = threading.Event()
    assert rate.wait_turn(10_000, stop)  # the first starts at once; the next waits 10 s
    threading.Timer(0.2, stop.set).start()
    began = time.monotonic()
    assert not rate.wait_turn(10, stop)
    assert time.monotonic() - began < 5


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="more than 0 bytes per second"):
        UploadRate(0, SystemClock())


class _StepClock(SystemClock):
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.at = 100.0

    def monotonic(self) -> float:
        return self.at


def test_a_new_cap_paces_the_next_upload() -> None:
    rate = UploadRate(1_000_000, SystemClock())
    stop = threading.Event()
    rate.set(10_000_000)
    began = time.monotonic()
    for _ in range(3):
        assert rate.wait_turn(1_000_000, stop)
    assert time.monotonic() - began < 0.6  # 2 MB before the third at 10 MB/s, not 2 s at 1 MB/s
    with pytest.raises(ValueError, match="more than 0 bytes per second"):
        rate.set(-1)


def test_the_meter_counts_bytes_over_busy_time_only() -> None:
    clock = _StepClock()
    meter = UploadMeter(clock, window_seconds=60)
    assert meter.bytes_per_second() is None  # nothing stored yet: unknown, not zero
    clock.at = 101.0
    meter.stored(100.0, 1_000_000)  # 1 MB in 1 s
    clock.at = 111.0  # 9 s idle between segments do not count
    meter.stored(110.0, 1_000_000)
    assert meter.bytes_per_second() == pytest.approx(1_000_000)
    clock.at = 112.0  # two in parallel over the same second: 2 MB in 1 s of link time
    meter.stored(111.0, 1_000_000)
    meter.stored(111.0, 1_000_000)
    assert meter.bytes_per_second() == pytest.approx(4_000_000 / 3)
    clock.at = 200.0  # a minute with nothing stored (link down): unknown again
    assert meter.bytes_per_second() is None


def test_the_drain_estimate_divides_the_backlog_by_the_measured_rate() -> None:
    assert drain_seconds(0, None) == 0.0
    assert drain_seconds(5_000_000, None) is None
    assert drain_seconds(5_000_000, 2_000_000) == 2.5
