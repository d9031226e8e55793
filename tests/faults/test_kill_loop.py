"""kill -9 the recorder at random moments, restart it each time: each kill loses at most 1 s of media.

Loss per kill is measured from the journal (sealed segments and the prefixes salvaged on restart);
see bench/fault_kill_loop.py. The long version (50 kills, 720p25) is ``python bench/faults.py``.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from bench.fault_kill_loop import kill_loop

pytestmark = pytest.mark.integration

KILLS = 10
MAX_LOSS_SECONDS = 1.0


def test_ten_kills_lose_at_most_a_second_each(tmp_path: Path) -> None:
    result = kill_loop(tmp_path, kills=KILLS, size="320x240", fps=15)
    print(result.summary(), result.worst(), sep="\n")
    assert not result.problems, result.problems
    assert len(result.losses) == KILLS
    assert all(loss >= 0 for loss in result.losses), result.losses  # no media stamped after its kill
    assert max(result.losses) <= MAX_LOSS_SECONDS, result.summary()
    assert statistics.median(result.losses) <= MAX_LOSS_SECONDS, result.summary()
