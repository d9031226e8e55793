"""Progress of long commands: periodic plain lines when not on a terminal, a bar redrawn in place on
one; always a last line when done."""

from __future__ import annotations

import io

from archive.progress import ProgressLine


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_without_a_terminal_a_line_comes_at_the_start_every_interval_and_at_the_end() -> None:
    out, clock = io.StringIO(), Ticks()
    progress = ProgressLine("backup", "recordings", stream=out, interval=10.0, tty=False, clock=clock)
    for done in range(1, 401):
        clock.now += 0.25  # 100 s for the 400
        progress(done, 400)
    lines = out.getvalue().splitlines()
    assert lines[0] == "backup: 1/400 recordings (0%), 0 s"
    assert lines[1] == "backup: 41/400 recordings (10%), 10 s"
    assert lines[-1] == "backup: 400/400 recordings (100%), 1 min 40 s"
    assert len(lines) == 11  # 0 s, 10 s, …, 90 s, then done (100 s)
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()  # fit for a log file
    progress(400, 400)
    assert len(out.getvalue().splitlines()) == 11  # done is said once


def test_nothing_to_do_still_says_done() -> None:
    out = io.StringIO()
    ProgressLine("reconcile", "recordings", stream=out, tty=False, clock=Ticks())(0, 0)
    assert out.getvalue() == "reconcile: 0/0 recordings (100%), 0 s\n"


def test_on_a_terminal_a_bar_is_redrawn_in_place() -> None:
    out, clock = io.StringIO(), Ticks()
    progress = ProgressLine("audit", "recordings", stream=out, tty=True, clock=clock)
    progress(1, 4)
    clock.now += 0.1
    progress(2, 4)  # within 0.2 s of the last redraw: skipped
    clock.now += 0.2
    progress(3, 4)
    progress(4, 4)
    text = out.getvalue()
    frames = text.split("\r")[1:]
    assert len(frames) == 3 and text.endswith("\n") and text.count("\n") == 1
    assert frames[0].startswith("audit [#######.......................] 1/4 recordings (25%)")
    assert frames[-1].startswith("audit [##############################] 4/4 recordings (100%)")
