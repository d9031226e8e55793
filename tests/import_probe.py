"""Which modules a fresh interpreter has loaded after each of a series of import statements: the
agent's and the server's import-side tests ask it in one child process each."""

from __future__ import annotations

import json
import subprocess
import sys


def modules_loaded_after(steps: list[tuple[str, tuple[str, ...]]]) -> dict[str, list[str]]:
    """For each (statement, names) run in turn in one fresh interpreter: which of ``names`` are in
    sys.modules once that statement (and the ones before it) have run."""
    lines = ["import json, sys", "loaded = {}"]
    for statement, names in steps:
        lines += [statement, f"loaded[{statement!r}] = [n for n in {list(names)!r} if n in sys.modules]"]
    lines.append("print(json.dumps(loaded))")
    done = subprocess.run(
        [sys.executable, "-c", "\n".join(lines)], capture_output=True, text=True, check=True, timeout=120
    )
    loaded: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded
