"""kill -9 loop: how much media one crash of the recorder loses, measured from its own journal.

Runs the real recorder (``python -m capture record`` on a synthetic source, no object store) and
SIGKILLs it at a random moment after its media has begun, N times, restarting it each time; a last
short run salvages the last kill and stops cleanly. Loss per kill is the hole between the last
media time the journal keeps for that run (sealed segments and the prefixes salvaged on restart)
and the instant of the kill. Also checks what every crash must leave: contiguous segment numbers,
each journaled segment on the spool with its journaled SHA-256, no run's media overlapping the run
before, a gap journaled for every restart, and no temporary or staging file left behind.

Used by ``tests/faults/test_kill_loop.py`` (short) and ``bench/faults.py`` (long).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

RECORDING_ID = "rec-kill-loop"
STREAM = "cam"
_START_TIMEOUT_SECONDS = 60.0


@dataclass(slots=True)
class KillLoopResult:
    """Loss per kill in seconds (one per kill, in order) and every broken expectation found."""

    losses: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lags: list[float] = field(default_factory=list)  # per run: worst (journaled at - media end) of a seal

    def summary(self) -> str:
        """min/median/max loss per kill, as one line."""
        if not self.losses:
            return "no kills measured"
        return (
            f"loss per kill over {len(self.losses)} kills: min {min(self.losses):.3f} s,"
            f" median {statistics.median(self.losses):.3f} s, max {max(self.losses):.3f} s"
            f" ({self.seconds:.0f} s wall); worst seal lag behind real time per run: median"
            f" {statistics.median(self.lags or [0.0]):.3f} s, max {max(self.lags or [0.0]):.3f} s"
        )

    def worst(self, count: int = 3) -> str:
        """The ``count`` largest losses with their kill number and that run's worst seal lag."""
        ranked = sorted(range(len(self.losses)), key=lambda i: self.losses[i], reverse=True)[:count]
        lags = self.lags + [0.0] * len(self.losses)
        return ", ".join(f"kill {i + 1}: {self.losses[i]:.3f} s (lag {lags[i]:.3f} s)" for i in ranked)


def kill_loop(
    work: Path,
    *,
    kills: int,
    size: str = "320x240",
    fps: int = 15,
    segment_seconds: float = 4.0,
    run_seconds: tuple[float, float] = (0.4, 2.5),
    seed: int | None = None,
) -> KillLoopResult:
    """Record into ``work/spool``, kill -9 the recorder ``kills`` times at random moments
    ``run_seconds`` (uniform) after a run's media began, restart each time, and measure."""
    began = time.monotonic()
    rng = random.Random(seed)
    spool = work / "spool"
    arguments = _record_arguments(spool, size, fps, segment_seconds)
    kill_times: list[float] = []
    for kill in range(kills):
        log = (work / f"run-{kill + 1:03d}.log").open("wb")
        agent = subprocess.Popen(
            [sys.executable, "-m", "capture", *arguments], env=_env(), stdout=log, stderr=log
        )
        try:
            _wait_for_origins(spool, kill + 1, agent)
            time.sleep(rng.uniform(*run_seconds))
            kill_times.append(time.time())
            agent.send_signal(signal.SIGKILL)
        finally:
            agent.kill()
            agent.wait()
            log.close()
    final = subprocess.run(
        [sys.executable, "-m", "capture", *arguments, "--duration", "1"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    result = KillLoopResult()
    if final.returncode != 0:
        detail = final.stderr[-2000:]
        result.problems.append(f"the run after the last kill failed ({final.returncode}): {detail}")
    events = journal_events(spool, RECORDING_ID)
    result.losses = losses_per_kill(events, kill_times)
    result.lags = seal_lags(events)
    result.problems.extend(check_spool(spool, events, restarts=kills))
    result.seconds = time.monotonic() - began
    return result


def journal_events(spool: Path, recording_id: str) -> list[dict[str, object]]:
    """Every line of the recording's journal on the spool, parsed, in order."""
    events: list[dict[str, object]] = []
    for chunk in sorted((spool / "recordings" / recording_id / "journal").glob("*.jsonl")):
        events.extend(json.loads(line) for line in chunk.read_text().splitlines())
    return events


def runs_of(events: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    """The journal cut at each ``start`` line: run k's lines are those from its start up to the
    next start, which include what the next run's recovery salvaged of it."""
    runs: list[list[dict[str, object]]] = []
    for event in events:
        if event["type"] == "start":
            runs.append([])
        if runs:
            runs[-1].append(event)
    return runs


def losses_per_kill(events: list[dict[str, object]], kill_times: list[float]) -> list[float]:
    """For each killed run, seconds between the end of the last media the journal keeps of it and
    the kill (all of its media, from its origin, when it keeps nothing)."""
    losses: list[float] = []
    for run, killed_at in zip(runs_of(events), kill_times, strict=False):
        ends = [_utc(e["t_end_utc"]) for e in run if e["type"] == "segment" and e.get("t_end_utc")]
        origins = [_utc(e["t_origin_utc"]) for e in run if e["type"] == "origin"]
        kept_until = max(ends) if ends else (origins[0] if origins else killed_at)
        losses.append(killed_at - kept_until)
    return losses


def seal_lags(events: list[dict[str, object]]) -> list[float]:
    """Per run, the most any segment sealed while recording was journaled after its media ended:
    encoder delay plus any backlog (a pipeline behind real time loses that much more on a crash)."""
    lags: list[float] = []
    for run in runs_of(events):
        sealed = [e for e in run if e["type"] == "segment" and not e.get("flags") and e.get("t_end_utc")]
        lags.append(max((_utc(e["at"]) - _utc(e["t_end_utc"]) for e in sealed), default=0.0))
    return lags


def check_spool(spool: Path, events: list[dict[str, object]], *, restarts: int) -> list[str]:
    """What every crash must leave; one line per broken expectation (empty when all hold)."""
    problems: list[str] = []
    root = spool / "recordings" / RECORDING_ID
    segments = [e for e in events if e["type"] == "segment"]
    numbers = [int(str(e["segment"])) for e in segments]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"segment numbers are not 1..n in order: {numbers}")
    for event in segments:
        path = root / str(event["object"])
        if not path.exists():
            problems.append(f"{path}: journaled but missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != event["sha256"]:
            problems.append(f"{path}: SHA-256 differs from the journal")
    previous_end: float | None = None
    for number, run in enumerate(runs_of(events), start=1):
        starts = [_utc(e["t_start_utc"]) for e in run if e["type"] == "segment" and e.get("t_start_utc")]
        if previous_end is not None and starts and min(starts) < previous_end - 1e-3:
            overlap = previous_end - min(starts)
            problems.append(f"run {number} starts {overlap:.3f} s before the previous run ends")
        ends = [_utc(e["t_end_utc"]) for e in run if e["type"] == "segment" and e.get("t_end_utc")]
        previous_end = max(ends) if ends else previous_end
    gaps = [e for e in events if e["type"] == "gap"]
    if len(gaps) < restarts:
        problems.append(f"{restarts} restarts but {len(gaps)} gaps journaled")
    stray = [p for p in root.rglob("*") if p.name.endswith((".tmp", ".salvage"))]
    if stray:
        problems.append(f"left behind: {', '.join(str(p) for p in stray)}")
    return problems


def _record_arguments(spool: Path, size: str, fps: int, segment_seconds: float) -> list[str]:
    return [
        "record",
        "--room",
        "court-9",
        "--recording-id",
        RECORDING_ID,
        "--spool",
        str(spool),
        "--segment-seconds",
        str(segment_seconds),
        "--source",
        f"synthetic#size={size}&fps={fps}&audio=0&name={STREAM}",
    ]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("COURTREC_")}


def _wait_for_origins(spool: Path, count: int, agent: subprocess.Popen[bytes]) -> None:
    """Wait until ``count`` runs have journaled their media origin (this run's media has begun)."""
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if agent.poll() is not None:
            raise RuntimeError(f"the recorder exited ({agent.returncode}) before its media began")
        try:
            origins = sum(1 for e in journal_events(spool, RECORDING_ID) if e["type"] == "origin")
        except (OSError, ValueError):  # a line being written
            origins = 0
        if origins >= count:
            return
        time.sleep(0.02)
    raise RuntimeError(f"run {count}: no media origin journaled within {_START_TIMEOUT_SECONDS:.0f} s")


def _utc(value: object) -> float:
    return datetime.fromisoformat(str(value)).timestamp()
