"""The portal part of ``make run``: a short demo hearing recorded by the capture agent, the database
migrated and seeded (court, courtroom, clerk, judge, operator, a case with a demo party, a public
hearing notice, a public hearing running now, the demo recording indexed and granted to the party),
and ``python -m portal serve`` with the live service mounted at /live (``live_env``).

Composition only: every step is a ``python -m capture`` / ``python -m portal`` command.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from run_ports import RunPorts, check_ports, local_url, portal_urls

DEMO_ROOM = "demo-courtroom-1"
DEMO_CASE_NUMBER = "（2026）京0101民初1号"  # portal.demo's case: the caption shows its official number


def _run(command: list[str], env: dict[str, str], log: Path, *, secret_output: bool = False) -> str:
    """Run ``command``, appending its stderr (and its stdout unless ``secret_output``) to ``log``;
    returns its stdout."""
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    with log.open("a") as handle:
        if secret_output:
            handle.write(f"{' '.join(command[1:4])}: output (demo credentials) shown on the terminal only\n")
        else:
            handle.write(result.stdout)
        handle.write(result.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:4])} failed; see {log}")
    return result.stdout


def start_portal(
    data: Path, env: dict[str, str], stamp: str, live_env: Mapping[str, str], *, host: str, port: int
) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    """Record, migrate, seed and serve on ``host``:``port`` (with ``live_env`` on top:
    COURTREC_PORTAL_LIVE and the live service's COURTREC_STREAMING_*); returns the portal process,
    the lines to print, and what the demo bodycam needs (``enforcement_case_number``, its one-time
    ``bodycam_enrolment_code``). Raises PortTakenError (naming the port) before anything starts when the
    port is in use."""
    check_ports(RunPorts(host, port, store_port=0), store=False)
    log = data / "portal.log"
    portal_data = data / "portal"
    portal_env = {**env, "COURTREC_ENVIRONMENT": "development", "COURTREC_PORTAL_COOKIE_SECURE": "false"}
    recording = _record_demo_hearing(data, env, stamp, log)
    portal = [sys.executable, "-m", "portal"]
    _run([*portal, "migrate", "--data", str(portal_data)], portal_env, log)
    seed = [
        *portal,
        "seed-demo",
        "--data",
        str(portal_data),
        "--grant-recording",
        recording,
        "--live-hearing",
    ]
    # the seed prints the demo passwords: they go to the terminal (run_system prints them), never a log
    demo = json.loads(_run(seed, portal_env, log, secret_output=True).strip().splitlines()[-1])
    serve = [*portal, "serve", "--host", host, "--port", str(port), "--data", str(portal_data)]
    server = subprocess.Popen(
        [*serve, "--reconcile-every", "30"],
        env={**portal_env, **live_env},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    _wait_until_up(server, log, local_url(host, port))
    urls = portal_urls(host, port)
    url = urls[-1]  # the LAN address when the portal is open to the LAN: it works here too
    also = "".join(f"\n      also at {other}" for other in urls[:-1])
    text = f"""  portal (python -m portal serve on {host}:{port}, log {log}):{also}
      open {url}/notices             public hearing notices (also {url}/notices.ics)
      public live hearing   {url}/notices/{demo["live_notice_id"]}/live   (on air from its start, delayed)
      party sign-in  {url}/case-login   case number {demo["case_number"]}
                     access password {demo["party_password"]}   ({demo["party_name"]}; demo recording granted)
      staff sign-in  {url}/login        clerk / {demo["clerk_password"]}   judge / {demo["judge_password"]}
                     {url}/staff/broadcasts   the clerk's cut / resume of the public broadcast
      command-centre wall   {url}/live/wall   sign in first at {url}/login as
                     operator / {demo["operator_password"]}"""
    bodycam = {name: str(demo[name]) for name in ("enforcement_case_number", "bodycam_enrolment_code")}
    return server, text, bodycam


def _record_demo_hearing(data: Path, env: dict[str, str], stamp: str, log: Path) -> str:
    recording = f"demo-hearing-{stamp}"
    print(f"recording the demo hearing {recording} (8 s) …", flush=True)
    spool = data / "spool" / "demo-hearing"
    command = [
        sys.executable,
        "-m",
        "capture",
        "record",
        "--room",
        DEMO_ROOM,
        "--room-name",
        "第一法庭",
        "--case",
        DEMO_CASE_NUMBER,
        "--recording-id",
        recording,
        "--spool",
        str(spool),
        "--duration",
        "8",
        "--segment-seconds",
        "2",
        "--source",
        "synthetic#size=640x360&fps=15",
    ]
    _run(command, env, log)
    return recording


def _wait_until_up(server: subprocess.Popen[bytes], log: Path, url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/notices", timeout=2).close()  # noqa: S310 - our own http URL
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the portal did not start; see {log}") from None
            time.sleep(0.3)
