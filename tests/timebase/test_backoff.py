"""The one retry schedule of uploads and public withdrawals."""

from __future__ import annotations

import pytest

from timebase import Backoff


def test_each_delay_lies_in_the_upper_half_of_a_doubling_interval() -> None:
    backoff = Backoff(first_seconds=1.0, cap_seconds=60.0)
    for attempt, ceiling in [(0, 1.0), (1, 2.0), (3, 8.0), (6, 60.0), (500, 60.0)]:
        delays = [backoff.delay(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 10  # jittered, not fixed


def test_a_schedule_that_cannot_grow_is_refused() -> None:
    for first, cap in [(0.0, 1.0), (-1.0, 1.0), (2.0, 1.0)]:
        with pytest.raises(ValueError, match="first_seconds <= cap_seconds"):
            Backoff(first_seconds=first, cap_seconds=cap)
