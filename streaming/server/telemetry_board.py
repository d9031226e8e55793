"""The server's latest telemetry report per feed, for the wall."""

from __future__ import annotations

import time

from streaming.telemetry import TelemetryReport


class TelemetryBoard:
    """Latest report per feed id, with the monotonic time it arrived."""

    def __init__(self) -> None:
        self._latest: dict[str, tuple[TelemetryReport, float]] = {}

    def update(self, feed_id: str, report: TelemetryReport) -> None:
        """Keep ``report`` as the feed's latest."""
        self._latest[feed_id] = (report, time.monotonic())

    def latest(self, feed_id: str) -> tuple[TelemetryReport, float] | None:
        """The feed's latest report and when it arrived (monotonic seconds), if any."""
        return self._latest.get(feed_id)

    def forget(self, feed_id: str) -> None:
        """Drop what is known about ``feed_id``."""
        self._latest.pop(feed_id, None)

    def snapshot(self) -> dict[str, dict[str, object]]:
        """Every feed's latest report as JSON-ready dicts, with ``age_seconds`` added."""
        now = time.monotonic()
        return {
            feed_id: {**report.model_dump(mode="json"), "age_seconds": round(now - received, 1)}
            for feed_id, (report, received) in self._latest.items()
        }
