"""A WHIP publisher in a process of its own, for tests that freeze it (SIGSTOP) as a hung agent would be.

``python -m tests.streaming.publisher_process URL TOKEN STREAM`` publishes the synthetic test pattern
(320x240 @ 15 fps, telemetry: recording) over loopback until SIGTERM; it prints ``publishing`` once started.
"""

from __future__ import annotations

import signal
import sys
import threading
from datetime import UTC, datetime

from streaming.publisher.live_input import LiveInput
from streaming.publisher.live_publisher import LivePublisher
from streaming.publisher.whip_client import WhipClient
from streaming.telemetry import TelemetryReport
from tests.streaming.conftest import DEVICE_ID, LOOPBACK, EncodedTestFeed


def main(url: str, token: str, stream: str) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    feed = EncodedTestFeed().start()

    def report() -> TelemetryReport:  # the agent says it records (as a frozen agent last said)
        return TelemetryReport(device_id=DEVICE_ID, case="（2026）沪0101民初123号", at=datetime.now(UTC))

    source = LiveInput(
        video=feed.tap.subscribe(60), audio=None, request_keyframe=feed.request_keyframe, telemetry=report
    )
    publisher = LivePublisher(stream, WhipClient(url, token), LOOPBACK, source, telemetry_seconds=0.5)
    publisher.start()
    print("publishing", flush=True)
    try:
        stop.wait()
    finally:
        publisher.stop()
        feed.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
