"""The rotating fixity sample: consecutive windows tile the ring, so every object is covered per period."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from archive.preservation.audit_sampling import SampleWindow, next_window, phase, ring_position

PERIOD = timedelta(days=7)
T0 = datetime(2026, 1, 5, 2, 30, tzinfo=UTC)


def test_irregular_runs_cover_every_position_exactly_once_per_period() -> None:
    # the first run (no history) covers the day before T0; the last one ends 7 days after that
    positions = [ring_position(f"recordings/c/2026/01/01/r/cam/{n:08d}.m4s") for n in range(2000)]
    times = [
        T0,
        T0 + timedelta(hours=20),
        T0 + timedelta(days=2),
        T0 + timedelta(days=2, hours=1),
        T0 + timedelta(days=5, hours=7),
        T0 + timedelta(days=6),
    ]
    windows = [next_window(PERIOD, times[0], T0 - timedelta(days=1))]
    windows += [next_window(PERIOD, now, before) for before, now in itertools.pairwise(times)]
    counts = [sum(w.contains(p) for w in windows) for p in positions]
    assert counts == [1] * len(positions)
    assert sum(w.fraction for w in windows) == pytest.approx(1.0)
    assert not any(w.full for w in windows)


def test_a_gap_of_a_period_or_more_audits_everything() -> None:
    window = next_window(PERIOD, T0 + PERIOD, T0)
    assert window.full and window.contains(0.0) and window.contains(0.999)


def test_a_first_run_covers_one_day_and_positions_are_stable() -> None:
    window = next_window(PERIOD, T0, None)
    assert window.fraction == pytest.approx(1 / 7)
    assert window.end == pytest.approx(phase(T0, PERIOD))
    assert ring_position("a") == ring_position("a") != ring_position("b")
    assert 0 <= ring_position("x") < 1


def test_a_wrapping_window_and_bad_input() -> None:
    wrap = SampleWindow(86400.0, 0.9, 0.1, full=False)
    assert wrap.contains(0.95) and wrap.contains(0.05) and not wrap.contains(0.5)
    with pytest.raises(ValueError, match="at least one minute"):
        next_window(timedelta(seconds=5), T0, None)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_window(PERIOD, datetime(2026, 1, 1), None)
