"""The broadcast delay and the clerk's cut, as one small thread-safe state machine.

Segments wait ``delay_seconds`` after they were produced before they may be published. A cut
drops everything still waiting *at once* (under the lock, before returning) and starts a new
generation, so even a segment still being packaged when the cut came is refused later. Resume
lets new segments (of the new generation, after the delay again) through, after a discontinuity.
A segment whose upload had already begun when the cut came still completes: it was due.

The playlist stays live through a cut (no EXT-X-ENDLIST: players would stop reloading it and never
see the resume); only the end of the broadcast ends it. Its window keeps ``window_segments``
segments, and never less than three target durations (RFC 8216 section 6.2.2).
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from enum import StrEnum

from streaming.public.playlist import PublishedSegment, render_playlist
from timebase import Clock, SystemClock


class BroadcastState(StrEnum):
    """What the public sees."""

    LIVE = "live"
    CUT = "cut"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class ProducedSegment:
    """A packaged segment waiting for its publication time (monotonic seconds).

    ``init_number`` names the packager (encoder set-up) that made it: each packager of a broadcast
    has its own init segment, and a new one starts a discontinuity.
    """

    generation: int
    data: bytes
    duration: float
    produced_at: float
    init_number: int


class DelayLine:
    """Holds produced segments for the delay; tracks the published sliding window.

    Production and publication times are monotonic seconds of ``clock``."""

    def __init__(
        self,
        delay_seconds: float,
        window_segments: int,
        target_seconds: int,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._delay = delay_seconds
        self._window = window_segments
        self._target = target_seconds
        self._pending: collections.deque[ProducedSegment] = collections.deque()
        self._published: list[PublishedSegment] = []
        self._next_sequence = 1
        self._discontinuity_sequence = 0
        self._last_init_name: str | None = None
        self.state = BroadcastState.LIVE
        self.generation = 1

    @property
    def delay_seconds(self) -> float:
        return self._delay

    @property
    def target_seconds(self) -> int:
        """The playlist's EXT-X-TARGETDURATION, the same in every revision; no segment is longer."""
        return self._target

    @property
    def listed_segments(self) -> int:
        """Segments the playlist lists now."""
        with self._lock:
            return len(self._published)

    @property
    def pending(self) -> int:
        """Segments produced but not yet due."""
        with self._lock:
            return len(self._pending)

    def produce(self, segment: ProducedSegment) -> bool:
        """Queue ``segment``; False (dropped) when cut/ended or from an earlier generation."""
        with self._lock:
            if self.state is not BroadcastState.LIVE or segment.generation != self.generation:
                return False
            self._pending.append(segment)
            return True

    def cut(self) -> int:
        """Withhold everything not yet published, now; returns how many segments were dropped."""
        with self._lock:
            dropped = len(self._pending)
            self._pending.clear()
            if self.state is BroadcastState.LIVE:
                self.state = BroadcastState.CUT
                self.generation += 1
            return dropped

    def resume(self) -> None:
        """Let new segments through again (after the delay, with a discontinuity)."""
        with self._lock:
            if self.state is BroadcastState.CUT:
                self.state = BroadcastState.LIVE

    def end(self) -> None:
        """The hearing (or feed) ended: nothing more is published."""
        with self._lock:
            self._pending.clear()
            self.state = BroadcastState.ENDED
            self.generation += 1

    def take_due(self, now: float | None = None) -> list[ProducedSegment]:
        """Segments whose delay has passed by ``now`` (monotonic seconds; default: the clock's),
        oldest first (none while cut or ended)."""
        if now is None:
            now = self.clock.monotonic()
        with self._lock:
            due: list[ProducedSegment] = []
            while (
                self.state is BroadcastState.LIVE
                and self._pending
                and self._pending[0].produced_at + self._delay <= now
            ):
                due.append(self._pending.popleft())
            return due

    def is_current(self, generation: int) -> bool:
        """True while segments of ``generation`` may still be published."""
        with self._lock:
            return self.state is BroadcastState.LIVE and generation == self.generation

    def record(self, segment: ProducedSegment, name: str, init_name: str) -> list[PublishedSegment]:
        """Add a just-published segment to the window; returns segments that slid out of it.

        A segment with another init segment than the one before it starts a discontinuity (a cut and
        resume, or a restarted packager: new encoder set-up, timestamps from zero again).
        """
        with self._lock:
            new_init = self._last_init_name is not None and init_name != self._last_init_name
            self._last_init_name = init_name
            self._published.append(
                PublishedSegment(
                    name=name,
                    init_name=init_name,
                    sequence=self._next_sequence,
                    duration=segment.duration,
                    discontinuity=new_init,
                )
            )
            self._next_sequence += 1
            expired: list[PublishedSegment] = []
            while len(self._published) > self._window and self._duration_without_oldest() >= 3 * self._target:
                expired.append(self._published.pop(0))
            self._discontinuity_sequence += sum(1 for s in expired if s.discontinuity)
            return expired

    def _duration_without_oldest(self) -> float:
        return sum(segment.duration for segment in self._published[1:])

    def playlist(self) -> str:
        """The current media playlist (live while cut: the broadcast may resume; ended once ended)."""
        with self._lock:
            return render_playlist(
                self._published,
                next_sequence=self._next_sequence,
                discontinuity_sequence=self._discontinuity_sequence,
                target_seconds=self._target,
                ended=self.state is BroadcastState.ENDED,
            )
