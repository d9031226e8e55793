"""Deciding how much of the recorder's video the live link can carry.

The agent never re-encodes for live (encode once), so it cannot lower the bitrate of what it sends;
it can send less of it. On a poor link (RTCP loss reports or a REMB estimate below what we send)
the publisher drops to keyframes only — one independently decodable picture per GOP (1 s), a
fraction of the bitrate — and returns to full frame rate after the link has been good for a while.
The recording is never touched: this only filters the live copy.
"""

from __future__ import annotations

import collections
from enum import StrEnum


class LiveMode(StrEnum):
    """What the publisher sends."""

    FULL = "full"
    KEYFRAMES_ONLY = "keyframes-only"


class LinkQuality:
    """A small state machine fed with RTCP observations and our own sent bytes; times are monotonic s.

    Degrade after ``bad_reports`` consecutive bad observations (loss >= ``loss_enter``, or a REMB
    below ``remb_margin`` x our recent send rate); recover after ``recover_seconds`` without one.
    REMB is ignored during the first ``warmup_seconds`` (estimators start low and ramp up).
    """

    def __init__(
        self,
        *,
        loss_enter: float = 0.10,
        remb_margin: float = 0.8,
        bad_reports: int = 2,
        recover_seconds: float = 10.0,
        warmup_seconds: float = 5.0,
        rate_window_seconds: float = 2.0,
    ) -> None:
        self._loss_enter = loss_enter
        self._remb_margin = remb_margin
        self._bad_needed = bad_reports
        self._recover = recover_seconds
        self._warmup = warmup_seconds
        self._window = rate_window_seconds
        self._sent: collections.deque[tuple[float, int]] = collections.deque()
        self._reset(None)

    def _reset(self, started: float | None) -> None:
        self._started = started
        self._bad_streak = 0
        self._last_bad = -float("inf")
        self._sent.clear()
        self.mode = LiveMode.FULL
        self.last_remb: int | None = None
        self.last_loss: float | None = None

    def start(self, now: float) -> None:
        """A new connection began: forget the old link's history."""
        self._reset(now)

    def sent(self, nbytes: int, now: float) -> None:
        """Count ``nbytes`` of media handed to the link at ``now``."""
        self._sent.append((now, nbytes))
        while self._sent and self._sent[0][0] < now - self._window:
            self._sent.popleft()

    def send_rate(self) -> float:
        """Our recent send rate in bits/s (over the rate window)."""
        if len(self._sent) < 2:
            return 0.0
        span = max(self._sent[-1][0] - self._sent[0][0], 1e-3)
        return sum(n for _, n in self._sent) * 8 / span

    def loss(self, fraction: float, now: float) -> LiveMode:
        """An RTCP receiver report's fraction lost (0..1); returns the mode now in force."""
        self.last_loss = fraction
        return self._observe(fraction >= self._loss_enter, now)

    def remb(self, bitrate: int, now: float) -> LiveMode:
        """A REMB estimate in bits/s; returns the mode now in force."""
        self.last_remb = bitrate
        if self._started is None or now - self._started < self._warmup:
            return self.tick(now)
        rate = self.send_rate()
        return self._observe(rate > 0 and bitrate < self._remb_margin * rate, now)

    def tick(self, now: float) -> LiveMode:
        """Re-evaluate recovery without a new observation."""
        if self.mode is LiveMode.KEYFRAMES_ONLY and now - self._last_bad >= self._recover:
            self.mode = LiveMode.FULL
            self._bad_streak = 0
        return self.mode

    def _observe(self, bad: bool, now: float) -> LiveMode:
        if bad:
            self._bad_streak += 1
            self._last_bad = now
            if self._bad_streak >= self._bad_needed:
                self.mode = LiveMode.KEYFRAMES_ONLY
            return self.mode
        if self.mode is LiveMode.FULL:
            self._bad_streak = 0
        return self.tick(now)
