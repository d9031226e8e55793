"""The upload rate cap paces the start of uploads so the backlog averages at most the rate."""

from __future__ import annotations

import threading
import time

import pytest

from archive.spool.upload_rate import UploadRate
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
