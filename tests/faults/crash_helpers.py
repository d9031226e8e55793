"""Running the recorder into a crash at a named step (COURTREC_FAULT_CRASH_AT) and reading what it left."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from archive.formats import CRASH_AT_ENV
from archive.store import StoreConfig
from bench.fault_kill_loop import journal_events
from capture.cli import main as capture_main

from .in_process import run_main

RECORDING_ID = "rec-crash-window"
STREAM = "cam"
SOURCE = f"synthetic#size=320x240&fps=15&audio=0&name={STREAM}"


@dataclass(frozen=True, slots=True)
class Interval:
    """A span of the stream's timeline the journal accounts for, in journal order."""

    kind: str  # "segment" or "gap"
    start: datetime
    end: datetime
    label: str


class CrashSpool:
    """One recording's spool, and the recorder runs (crashing or not) that write into it."""

    def __init__(self, root: Path, store: StoreConfig | None) -> None:
        self.spool = root / "spool"
        self.recording = self.spool / "recordings" / RECORDING_ID
        self.stream_dir = self.recording / STREAM
        self._store = store
        self._pristine = root / "pristine-spool"

    def arguments(self, *extra: str) -> list[str]:
        return [
            "record",
            "--room",
            "court-7",
            "--recording-id",
            RECORDING_ID,
            "--spool",
            str(self.spool),
            "--segment-seconds",
            "2",
            "--checkpoint-seconds",
            "2",
            "--source",
            SOURCE,
            *extra,
        ]

    def env(self, crash_at: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COURTREC_")}
        if self._store is not None:
            env |= {
                "COURTREC_S3_ENDPOINT": self._store.endpoint,
                "COURTREC_S3_ACCESS_KEY": self._store.access_key,
                "COURTREC_S3_SECRET_KEY": self._store.secret_key,
                "COURTREC_S3_BUCKET": self._store.bucket,
            }
        if crash_at is not None:
            env[CRASH_AT_ENV] = crash_at
        return env

    def crash_at(self, step: str, timeout: float = 60) -> None:
        """Run the recorder until it kills itself at ``step``; fail if it ends any other way."""
        result = subprocess.run(
            [sys.executable, "-m", "capture", *self.arguments("--duration", "30")],
            env=self.env(step),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == -signal.SIGKILL, (
            f"the recorder did not crash at {step} (exit {result.returncode}): {result.stderr[-3000:]}"
        )

    def kill_mid_segment(self, segment: int, timeout: float = 60) -> None:
        """Start the recorder and kill -9 it once segment ``segment`` holds more than one chunk."""
        torn = self.stream_dir / f"{segment:08d}.m4s.tmp"
        agent = subprocess.Popen(
            [sys.executable, "-m", "capture", *self.arguments()],
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + timeout
            first: int | None = None
            while time.monotonic() < deadline and agent.poll() is None:
                size = _size(torn)
                if first is None and size > 0:
                    first = size
                elif first is not None and size > first:
                    break
                time.sleep(0.02)
            else:
                raise AssertionError(f"segment {segment} never grew past its first chunk")
        finally:
            agent.send_signal(signal.SIGKILL)
            agent.wait()

    def record(self, seconds: float) -> subprocess.CompletedProcess[str]:
        """Run the recorder for ``seconds`` and stop it cleanly (uploads drained): the restart after a
        crash. It runs ``python -m capture``'s ``main`` in this process (tests/faults/in_process):
        what is under test is what a new run does with the spool the killed process left, and the
        process that dies stays a real one."""
        return run_main(capture_main, ["capture", *self.arguments("--duration", str(seconds))], self.env())

    def keep_pristine(self) -> None:
        """Keep a copy of the spool as it is now (what a crash left), for :meth:`restore_pristine`."""
        shutil.copytree(self.spool, self._pristine, symlinks=True)

    def restore_pristine(self) -> None:
        """Put the spool back as :meth:`keep_pristine` kept it, at the same path: its upload queue
        names files by absolute path, so a copy elsewhere would still point here."""
        shutil.rmtree(self.spool)
        shutil.copytree(self._pristine, self.spool, symlinks=True)

    def events(self) -> list[dict[str, object]]:
        return journal_events(self.spool, RECORDING_ID)

    def timeline(self) -> list[Interval]:
        """Segments (with times) and gaps of the stream, in journal order."""
        intervals: list[Interval] = []
        for event in self.events():
            if event.get("stream") != STREAM:
                continue
            if event["type"] == "segment" and event.get("t_start_utc") and event.get("t_end_utc"):
                start, end = _utc(event["t_start_utc"]), _utc(event["t_end_utc"])
                intervals.append(Interval("segment", start, end, f"segment {event['segment']}"))
            elif event["type"] == "gap":
                intervals.append(Interval("gap", _utc(event["from"]), _utc(event["to"]), "gap"))
        return intervals

    def leftovers(self) -> list[Path]:
        """Files on the spool the journal does not account for: temporary or staging names, media
        files never journaled, quarantined bytes no journal line names."""
        events = self.events()
        named = {str(e["object"]) for e in events if e["type"] in ("init", "segment")}
        named |= {str(e["raw_kept_as"]) for e in events if e.get("raw_kept_as")}
        named |= {f"journal/{e['kept_as']}" for e in events if e["type"] == "repair" and e.get("kept_as")}
        stray: list[Path] = []
        for path in self.spool.rglob("*"):
            if path.is_dir():
                continue
            relative = path.relative_to(self.recording).as_posix() if self.recording in path.parents else ""
            if path.name.endswith((".tmp", ".salvage")) or (
                relative.startswith(f"{STREAM}/") and relative not in named
            ):
                stray.append(path)
        return stray


def overlaps(timeline: list[Interval], tolerance_seconds: float = 0.001) -> list[str]:
    """Each place where an interval starts before the one journaled before it ends."""
    found: list[str] = []
    for earlier, later in itertools.pairwise(timeline):
        early_by = (earlier.end - later.start).total_seconds()
        if early_by > tolerance_seconds:
            found.append(f"{later.label} starts {early_by:.3f} s before {earlier.label} ends")
    return found


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _utc(value: object) -> datetime:
    return datetime.fromisoformat(str(value))
