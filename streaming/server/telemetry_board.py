"""The server's latest telemetry report per feed, and the recent GPS trace of each, for the wall."""

from __future__ import annotations

import time
from collections import deque

from streaming.telemetry import TelemetryReport

TRACE_POINTS = 600
"""How many positions of a feed's trace the wall gets (10 minutes at one report a second)."""


class TelemetryBoard:
    """Latest report per feed id, with the monotonic time it arrived, and the feed's last
    :data:`TRACE_POINTS` distinct positions (``[lat, lon]``, oldest first)."""

    def __init__(self) -> None:
        self._latest: dict[str, tuple[TelemetryReport, float]] = {}
        self._traces: dict[str, deque[tuple[float, float]]] = {}

    def update(self, feed_id: str, report: TelemetryReport) -> None:
        """Keep ``report`` as the feed's latest, and its position on the feed's trace."""
        self._latest[feed_id] = (report, time.monotonic())
        if report.gps is not None:
            trace = self._traces.setdefault(feed_id, deque(maxlen=TRACE_POINTS))
            point = (report.gps.lat, report.gps.lon)
            if not trace or trace[-1] != point:
                trace.append(point)

    def latest(self, feed_id: str) -> tuple[TelemetryReport, float] | None:
        """The feed's latest report and when it arrived (monotonic seconds), if any."""
        return self._latest.get(feed_id)

    def forget(self, feed_id: str) -> None:
        """Drop what is known about ``feed_id``."""
        self._latest.pop(feed_id, None)
        self._traces.pop(feed_id, None)

    def snapshot(self) -> dict[str, dict[str, object]]:
        """Every feed's latest report as JSON-ready dicts, with ``age_seconds`` and ``trace`` added."""
        now = time.monotonic()
        return {
            feed_id: {
                **report.model_dump(mode="json"),
                "age_seconds": round(now - received, 1),
                "trace": [list(point) for point in self._traces.get(feed_id, ())],
            }
            for feed_id, (report, received) in self._latest.items()
        }
