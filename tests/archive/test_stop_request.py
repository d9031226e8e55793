"""The stop request signal handlers set: no lock, so a signal arriving inside another's handler
cannot hang the process; waiting returns promptly once it is set."""

from __future__ import annotations

import signal
import threading
import time

from archive.stop_request import StopRequest


def test_a_signal_raised_inside_another_signals_handler_still_stops() -> None:
    stop = StopRequest()
    seen: list[int] = []

    def on_signal(signum: int) -> None:
        seen.append(signum)
        if signum == signal.SIGINT:
            signal.raise_signal(signal.SIGTERM)  # handled nested, inside this handler

    before = signal.getsignal(signal.SIGINT)  # the default, or a runner's an earlier test left
    restore = stop.install(on_signal=on_signal)
    assert signal.getsignal(signal.SIGINT) is not before
    try:
        signal.raise_signal(signal.SIGINT)
        assert stop.wait(timeout=2.0)
    finally:
        restore()
    assert seen == [signal.SIGINT, signal.SIGTERM]
    assert stop.signum == signal.SIGTERM  # the nested handler set it first
    assert signal.getsignal(signal.SIGINT) == before  # restored to whatever was there


def test_wait_times_out_and_wakes_when_another_thread_sets_it() -> None:
    stop = StopRequest()
    started = time.monotonic()
    assert not stop.wait(timeout=0.3)
    assert 0.25 < time.monotonic() - started < 1.0
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    assert stop.wait(timeout=5.0)
    assert time.monotonic() - started < 1.0
