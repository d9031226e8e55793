from __future__ import annotations

import threading
import time

from devices.pacer import Pacer


def test_waits_until_media_time_on_the_monotonic_clock() -> None:
    pacer = Pacer(threading.Event(), realtime=True)
    started = time.monotonic()
    pacer.start()
    assert pacer.wait_until(0.15)
    assert time.monotonic() - started >= 0.15


def test_late_frames_are_not_delayed() -> None:
    pacer = Pacer(threading.Event(), realtime=True)
    pacer.start()
    started = time.monotonic()
    assert pacer.wait_until(-1.0)
    assert time.monotonic() - started < 0.05


def test_stop_ends_a_wait_at_once() -> None:
    stop = threading.Event()
    pacer = Pacer(stop, realtime=True)
    pacer.start()
    threading.Timer(0.1, stop.set).start()
    started = time.monotonic()
    assert not pacer.wait_until(30.0)
    assert time.monotonic() - started < 1.0


def test_without_realtime_it_never_waits() -> None:
    stop = threading.Event()
    pacer = Pacer(stop, realtime=False)
    pacer.start()
    assert pacer.wait_until(3600.0)
    stop.set()
    assert not pacer.wait_until(0.0)
