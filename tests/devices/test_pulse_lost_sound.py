"""Sound a PulseAudio server lost (an overrun, a stalled ``parec``) shows as a jump in ``pts``, so the
recording declares the hole; a reader that is merely late (the sound waits in the pipe) makes none.
``parec`` is a stand-in program that writes a real-time tone and loses a stretch of it."""

from __future__ import annotations

import itertools
import stat
import sys
import time
from pathlib import Path

from devices import PulseSource, parse_source_spec

RATE = 16_000

# A real-time s16le tone in 10 ms chunks; from `stall_at` s it writes nothing for `stall_for` s and
# those samples are lost, as a server-side overrun loses them.
FAKE_PAREC = """
import sys, time
rate = int(dict(a.lstrip("-").split("=", 1) for a in sys.argv[1:] if "=" in a)["rate"])
stall_at, stall_for = {stall_at}, {stall_for}
chunk = b"\\x10\\x00" * (rate // 100)
start = time.monotonic()
t = 0.0
while t < 6:
    if stall_at <= t < stall_at + stall_for:
        t += 0.01
        continue
    time.sleep(max(0.0, start + t - time.monotonic()))
    sys.stdout.buffer.write(chunk)
    sys.stdout.buffer.flush()
    t += 0.01
"""


def _parec(directory: Path, stall_at: float, stall_for: float) -> str:
    path = directory / "parec"
    path.write_text(f"#!{sys.executable}\n" + FAKE_PAREC.format(stall_at=stall_at, stall_for=stall_for))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _pts(parec: str, seconds: float, *, pause_reader_at: float | None = None) -> list[int]:
    source = PulseSource(parse_source_spec(f"pulse:default#rate={RATE}"), parec=parec, pactl=None)
    stamps: list[int] = []
    try:
        for frame in source.frames():
            assert frame.pts is not None
            stamps.append(frame.pts)
            if pause_reader_at is not None and frame.pts >= pause_reader_at * RATE:
                pause_reader_at = None
                time.sleep(0.6)  # the consumer is busy: the sound waits in the pipe, nothing is lost
            if frame.pts >= seconds * RATE:
                break
    finally:
        source.close()
    return stamps


def test_sound_the_server_lost_is_a_jump_in_pts(tmp_path: Path) -> None:
    stamps = _pts(_parec(tmp_path, stall_at=1.0, stall_for=1.5), 3.0)
    steps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    jumps = [step for step in steps if step != 1024]
    assert len(jumps) == 1, jumps
    assert 1.2 * RATE < jumps[0] - 1024 < 1.8 * RATE  # 1.5 s lost, measured on the monotonic clock


def test_a_late_reader_and_steady_sound_make_no_jump(tmp_path: Path) -> None:
    stamps = _pts(_parec(tmp_path, stall_at=99, stall_for=0), 2.5, pause_reader_at=1.0)
    assert {later - earlier for earlier, later in itertools.pairwise(stamps)} == {1024}
