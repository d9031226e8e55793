"""Fault runs against the recorder and the archive, long versions (not in CI); each section prints
its own figures. The short versions are in ``tests/faults/``.

Sections: kill -9 loop (media lost per kill, min/median/max; goal <= 1 s, median <= 0.5 s).
Run: ``python bench/faults.py [--kills N] [--size WxH] [--fps N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from fault_kill_loop import kill_loop


def _kill_loop_section(arguments: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory(prefix="courtrec-kill-loop-") as work:
        result = kill_loop(
            Path(work), kills=arguments.kills, size=arguments.size, fps=arguments.fps, seed=arguments.seed
        )
    print(f"kill -9 loop ({arguments.size}@{arguments.fps}): {result.summary()}")
    print(f"  largest losses: {result.worst()}")
    for problem in result.problems:
        print(f"  PROBLEM: {problem}")
    return (
        not result.problems
        and bool(result.losses)
        and max(result.losses) <= 1.0
        and statistics.median(result.losses) <= 0.5
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--seed", type=int, default=None)
    arguments = parser.parse_args()
    ok = _kill_loop_section(arguments)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
