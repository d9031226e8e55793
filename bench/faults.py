"""Fault runs against the recorder and the archive, long versions (not in CI); each section prints
its own figures. The short versions are in ``tests/faults/``.

Sections:
- ``kill``: kill -9 loop (media lost per kill, min/median/max; goal <= 1 s, median <= 0.5 s);
- ``s3``: the S3 fault proxy cycle (drop mid-body, stall, reset, slow, outage, corrupt bodies): objects
  lost / duplicated (goal 0 and 0), journal chunks stored before their segments;
- ``tamper``: the tamper table against ``archive verify`` (goal: every tampering detected).
Run: ``PYTHONPATH=$PWD .venv/bin/python bench/faults.py [--only kill,s3,tamper] [--kills N] [--size WxH]
[--fps N] [--minutes M]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import fault_s3
import fault_tamper
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
    parser.add_argument("--minutes", type=float, default=3.0, help="length of the S3 fault cycle")
    parser.add_argument("--only", default="kill,s3,tamper", help="comma-separated sections to run")
    arguments = parser.parse_args()
    sections = {name.strip() for name in arguments.only.split(",")}
    results: list[bool] = []
    if "kill" in sections:
        results.append(_kill_loop_section(arguments))
    if "s3" in sections:
        print("S3 fault cycle:")
        results.append(fault_s3.main(["--minutes", str(arguments.minutes)]) == 0)
    if "tamper" in sections:
        print("tamper table:")
        results.append(fault_tamper.main([]) == 0)
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
