"""The microphones' sound summed on one timeline: the arithmetic of the mixed track, without PyAV.

Every microphone's samples are placed at their position on the mix's timeline (the recording's media
time: a microphone's own origin plus its sample count, less the mix's origin) and added up. The mix
moves on as far as every microphone still delivering has delivered; a microphone that has delivered
nothing for a while (unplugged, stalled, ended) is no longer waited for, so it never stops the mix.
Samples that come after the mix has moved past them are dropped (and counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]


@dataclass(slots=True)
class _Input:
    filled_until: int = 0  # one past the last sample delivered (mix timeline)
    heard_at: float | None = None  # monotonic time of its last delivery


@dataclass(slots=True)
class MixTimeline:
    """Sums mono float samples of named inputs at absolute sample positions.

    ``dropout_seconds``: an input that delivered nothing for this long (monotonic) is not waited for.
    Positions are samples from the mix's origin; :meth:`take` hands out the mixed samples in order.
    """

    inputs: tuple[str, ...]
    dropout_seconds: float = 2.0
    emitted: int = 0  # position of the next sample to hand out
    late_samples: int = 0  # delivered after the mix had moved past them
    started_at: float | None = None  # monotonic time of the first delivery of any input
    _pending: Samples = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    _state: dict[str, _Input] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._state = {name: _Input() for name in self.inputs}

    def add(self, name: str, start: int, samples: Samples, now: float) -> None:
        """Add ``samples`` of input ``name`` from position ``start`` (delivered at monotonic ``now``)."""
        state = self._state[name]
        state.heard_at = now
        if self.started_at is None:
            self.started_at = now
        end = start + len(samples)
        state.filled_until = max(state.filled_until, end)
        if end <= self.emitted:
            self.late_samples += len(samples)
            return
        if start < self.emitted:
            self.late_samples += self.emitted - start
            samples = samples[self.emitted - start :]
            start = self.emitted
        offset = start - self.emitted
        needed = offset + len(samples)
        if needed > len(self._pending):
            grown = np.zeros(needed, dtype=np.float32)
            grown[: len(self._pending)] = self._pending
            self._pending = grown
        self._pending[offset:needed] += samples

    def ready_until(self, now: float) -> int:
        """How far the mix can move on now: as far as every input heard from lately has delivered
        (where nobody has been heard from lately: no further than what was delivered). An input not
        heard from yet is waited for during the first ``dropout_seconds`` (the sources start one
        after the other)."""
        starting = self.started_at is not None and now - self.started_at < self.dropout_seconds
        live = [
            state.filled_until
            for state in self._state.values()
            if state.heard_at is not None and now - state.heard_at < self.dropout_seconds
        ]
        if starting and any(state.heard_at is None for state in self._state.values()):
            return self.emitted
        if live:
            return min(live)
        return self.emitted + len(self._pending)

    def silent_for(self, now: float) -> bool:
        """Whether no input has been heard from for ``dropout_seconds`` (or ever)."""
        return all(
            s.heard_at is None or now - s.heard_at >= self.dropout_seconds for s in self._state.values()
        )

    def skip_to(self, position: int) -> None:
        """Move on to ``position`` without handing anything out (nobody delivered in between: a gap)."""
        if position <= self.emitted:
            return
        drop = min(position - self.emitted, len(self._pending))
        self._pending = self._pending[drop:]
        self.emitted = position

    def take(self, until: int) -> Samples:
        """The mixed samples from :attr:`emitted` up to ``until`` (clipped to full scale)."""
        count = max(0, until - self.emitted)
        out = np.zeros(count, dtype=np.float32)
        have = min(count, len(self._pending))
        out[:have] = self._pending[:have]
        self._pending = self._pending[have:]
        self.emitted += count
        return np.clip(out, -1.0, 1.0)

    @property
    def buffered_until(self) -> int:
        """One past the last sample anyone delivered that is not handed out yet."""
        return self.emitted + len(self._pending)
