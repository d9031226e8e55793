"""Running a command-line ``main`` in the test's own process, as if it were ``python -m PACKAGE``.

A Python child costs 2-3 CPU-seconds of imports (more wall time on a loaded machine) before it does
anything; where the process boundary is not what a test proves (a restart after a crash that another,
real, process died in; ``archive verify`` reading a bucket), the same ``main`` runs here instead. The
real entry points (``python -m capture``, ``python -m archive verify``) are exercised by
tests/capture and tests/portal. The command sees exactly the environment given (no ``COURTREC_*``
setting of the test process leaks in), its output is captured, an ``argparse`` exit becomes its exit
code, and the signal handlers and root logging set-up it installs are put back afterwards.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence

import pytest

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run_main(
    main: Callable[[Sequence[str]], int], command: Sequence[str], env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """``main(command[1:])`` with ``COURTREC_*`` taken from ``env`` only; ``command[0]`` names it."""
    out, err = io.StringIO(), io.StringIO()
    handlers = {signum: signal.getsignal(signum) for signum in _SIGNALS}
    root = logging.getLogger()
    log_handlers, log_level = list(root.handlers), root.level  # main's basicConfig must not outlive it
    with pytest.MonkeyPatch.context() as patch:
        for name in [k for k in os.environ if k.startswith("COURTREC_")]:
            patch.delenv(name)
        for name, value in env.items():
            if name.startswith("COURTREC_"):
                patch.setenv(name, value)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(list(command[1:]))
                except SystemExit as exit_:  # argparse refusing the command line
                    code = 0 if exit_.code is None else exit_.code if isinstance(exit_.code, int) else 2
        finally:
            root.handlers[:] = log_handlers
            root.setLevel(log_level)
            for signum, handler in handlers.items():
                signal.signal(signum, handler)
    return subprocess.CompletedProcess(list(command), code, out.getvalue(), err.getvalue())
