"""Run an entry point's ``main(argv)`` in the test's own process, as ``python -m package`` would run it.

A Python start with courtrec's imports costs seconds on a busy 2-core machine, ``main()`` milliseconds.
Tests that are about what a command does (not about the process: signals, exit on a crash, start-up)
may run it with this; every command keeps real ``python -m`` runs in the tests of its module.

The result is a CompletedProcess like ``subprocess.run``'s: the exit code main() returned, and what
it printed. Log records at ``log_level`` and above are written to the same stderr in the format of the
entry points' ``logging.basicConfig``, as the process would print them.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence

import pytest

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def run_main(
    main: Callable[[Sequence[str]], int],
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    *,
    stdin: str = "",
    log_level: int = logging.WARNING,
) -> subprocess.CompletedProcess[str]:
    """``main(argv)`` with no COURTREC_ variable in the environment but those of ``env`` (and
    ``env``'s other variables where they differ), ``stdin`` as standard input."""
    stdout, stderr = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.setLevel(log_level)
    root = logging.getLogger()
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("COURTREC_")]:
            patch.delenv(name)
        for name, value in (env or {}).items():
            if os.environ.get(name) != value:
                patch.setenv(name, value)
        patch.setattr("sys.stdin", io.StringIO(stdin))
        root.addHandler(handler)
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                code = main(list(argv))
        finally:
            root.removeHandler(handler)
    return subprocess.CompletedProcess(list(argv), code, stdout.getvalue(), stderr.getvalue())
