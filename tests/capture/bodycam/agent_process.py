"""Driving ``python -m capture bodycam`` as a real process: starting it (:func:`start_bodycam`), its
printed lines and its local control endpoint (``--control-port``, which answers only with the
owner-only token from the agent's spool)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from archive.store import StoreConfig
from tests.capture.conftest import agent_command, store_env

SOURCE = "synthetic#size=320x240&fps=15&audio=0&clock=1&name=cam"

TOKEN_FILES: dict[int, Path] = {}
"""Control port -> the token file of the agent listening there (``SPOOL/device/control-token``)."""


def remember_control(port: int, spool: Path) -> int:
    """Note that the agent on ``port`` keeps its control token in ``spool``; returns ``port``."""
    TOKEN_FILES[port] = spool / "device" / "control-token"
    return port


def token_header(port: int) -> dict[str, str]:
    """The control endpoint's bearer header for the agent on ``port``."""
    return {"Authorization": f"Bearer {TOKEN_FILES[port].read_text().strip()}"}


def post(port: int, path: str, body: dict[str, str] | None = None) -> tuple[int, dict[str, object]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, method="POST", headers=token_header(port)
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def status(port: int) -> dict[str, object]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/status", headers=token_header(port))
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, object] = json.loads(response.read())
        return answer


def read_until(agent: subprocess.Popen[str], needle: str, seen: list[str]) -> str:
    """Read the agent's output up to the first line holding ``needle`` (AssertionError if it ends)."""
    assert agent.stdout is not None
    for line in agent.stdout:
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"the agent ended without printing {needle!r}: {''.join(seen)}")


def control_port(ready_line: str, spool: Path) -> int:
    """The control port from the agent's "on standby ... control http://127.0.0.1:PORT" line; its
    token is read from ``spool`` from then on."""
    return remember_control(int(ready_line.rsplit(":", 1)[1]), spool)


@dataclass(slots=True)
class Bodycam:
    """A running ``python -m capture bodycam`` process, its spool and the lines it printed so far."""

    process: subprocess.Popen[str]
    spool: Path
    seen: list[str] = field(default_factory=list)

    def read_until(self, needle: str) -> str:
        """Its output up to the first line holding ``needle`` (AssertionError if it ends)."""
        return read_until(self.process, needle, self.seen)

    def control_port(self) -> int:
        """Wait for its "on standby" line (with ``--control-port``) and return the control port."""
        return control_port(self.read_until("on standby"), self.spool)


@contextlib.contextmanager
def start_bodycam(
    spool: Path, *options: str, device_id: str, store: StoreConfig | None = None, source: str = SOURCE
) -> Iterator[Bodycam]:
    """Start ``python -m capture bodycam`` recording ``source`` into ``spool`` in 2-s segments with
    the ultrafast preset (plus ``options``), uploading to ``store`` (None: no store). The process
    is killed (if still running) and reaped when the block ends."""
    command = agent_command(
        "bodycam", "--device-id", device_id, "--spool", str(spool), "--source", source,
        "--segment-seconds", "2", "--preset", "ultrafast", *options,
    )  # fmt: skip
    process = subprocess.Popen(
        command,
        env=store_env(store),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield Bodycam(process, spool)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
