"""Start the whole system on its embedded defaults (``make run``): the S3 store, the portal with the
live service mounted at /live (command-centre wall behind operator sign-in, public live pages), and
demo agents publishing live to it. The portal's scheduler broadcasts the courtroom's bench camera
publicly while the demo's public hearing runs.

Composition only: every part is started through its own ``python -m <package>`` entry point or
public API; Ctrl-C stops everything and leaves no process behind.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from portal_demo import start_portal
from run_ports import (
    LOOPBACK,
    PortTakenError,
    RunSettings,
    add_port_options,
    check_ports,
    local_url,
    ports_of,
)

from archive.formats.settings_errors import RefusedSettingError, load_settings
from archive.settings import ArchiveSettings
from archive.stop_request import StopRequest
from archive.store.embedded import DEFAULT_PUBLIC_BUCKET, EmbeddedStore

DEMO_AGENTS = {
    # the courtroom records by the portal's schedule (capture serve): the demo's hearings, each its own
    # recording, with the clerk's console on this machine
    "courtroom": [
        "--room",
        "demo-courtroom-1",
        "--room-name",
        "第一法庭",  # the caption names the courtroom (the case number comes with each hearing)
        "--source",
        "synthetic#size=640x360&fps=15&audio=0&name=bench-cam",
        "--source",
        "synthetic#size=640x360&fps=15&audio=0&name=wide-cam",
        "--source",
        "synthetic#video=0&name=mic-1",
        "--source",
        "synthetic#video=0&tone=660&name=mic-2",  # two microphones: their mix is recorded too
    ],
    # run as ``python -m capture bodycam``: standby with a 10 s pre-event buffer, activated at once
    # (journaled as the console); SIGUSR1/SIGUSR2 to its process activate and deactivate it again.
    # It films the demo's execution case (its official number, from the seed, is the caption's
    # --case) and enrols its key with the seed's one-time code (--enrol-code), added at start.
    "bodycam": [
        "--room",
        "bodycam-007",
        "--source",
        "synthetic#size=640x360&fps=15&name=bodycam",
        "--officer",
        "王警官（演示）",
        "--gps",
        "synthetic-track#lat=31.2304&lon=121.4737&speed=1.5",
        "--pre-event-seconds",
        "10",
        "--activate-on-start",
    ],
}
COURTROOM_CONSOLE_PORT = 8088  # the demo courtroom's clerk's console (loopback only)
PUBLIC_DELAY_SECONDS = 10  # shorter than the default 30 s, so the demo shows the public page soon
# The demo agents publish over loopback (aioice skips 127.0.0.1 unless told).
LOOPBACK_ICE = {
    "COURTREC_STREAMING_ICE_HOST_ADDRESSES": '["127.0.0.1"]',
    "COURTREC_STREAMING_ICE_ALLOWED_NETWORKS": '["127.0.0.0/8", "::1/128"]',
}
# The live server answers browsers on this machine and on the LAN: it gathers on every interface and
# on 127.0.0.1 and keeps every candidate a browser offers. A stock browser hides its addresses behind
# mDNS names (``….local``), which a loopback-only filter drops: the server then had no candidate to
# check and the wall stayed black unless the browser's own check happened to arrive first.
SERVER_ICE = {"COURTREC_STREAMING_ICE_GATHER_LOOPBACK": "true"}


def _room_of(arguments: list[str]) -> str:
    """The ``--room`` an agent's arguments name."""
    return arguments[arguments.index("--room") + 1]


def _live_settings(data: Path, host: str) -> tuple[dict[str, str], dict[str, str]]:
    """The portal's live service (mounted at /live) with a device token per demo agent, each bound to
    its room; returns its environment and the tokens. The portal's scheduler opens the public
    broadcast of the demo hearing.

    The store listens on 127.0.0.1 only. When the portal is open beyond this machine (``host`` not
    loopback), browsers elsewhere cannot reach it: the portal then relays recorded segments itself
    and serves the public live media (COURTREC_PORTAL_MEDIA_DELIVERY=portal)."""
    tokens = {name: secrets.token_urlsafe(32) for name in DEMO_AGENTS}
    live_env = {
        **SERVER_ICE,
        "COURTREC_PORTAL_LIVE": "true",
        "COURTREC_STREAMING_DEVICE_TOKENS": json.dumps(
            {f"demo-{name}": token for name, token in tokens.items()}
        ),
        # each demo agent may publish only its own room's streams (deny by default)
        "COURTREC_STREAMING_DEVICE_ROOMS": json.dumps(
            {f"demo-{name}": [f"{_room_of(arguments)}/*"] for name, arguments in DEMO_AGENTS.items()}
        ),
        # public media goes to the embedded store's public bucket (anyone may GET it), not the portal
        "COURTREC_PUBLIC_S3_BUCKET": DEFAULT_PUBLIC_BUCKET,
        "COURTREC_STREAMING_PUBLIC_DIR": str(data / "public-live"),
        "COURTREC_PORTAL_BROADCAST_DELAY_SECONDS": str(PUBLIC_DELAY_SECONDS),
    }
    if host not in (LOOPBACK, "localhost", ""):
        live_env["COURTREC_PORTAL_MEDIA_DELIVERY"] = "portal"
    return live_env, tokens


def _agent_command(
    name: str,
    arguments: list[str],
    *,
    portal_url: str,
    spool: Path,
    stamp: str,
    bodycam: dict[str, str],
) -> list[str]:
    """The command line of the demo agent ``name``: the courtroom records by the portal's schedule
    (``capture serve``, with the clerk's console), the others record from the start."""
    if name == "courtroom":
        recording = ["serve", "--portal", portal_url, "--console-port", str(COURTROOM_CONSOLE_PORT)]
    elif name == "bodycam":  # a new recording id per activation; obeys the wall's remote commands
        recording = [
            "bodycam",
            "--portal",
            portal_url,
            "--case",
            bodycam["enforcement_case_number"],
            "--enrol-code",
            bodycam["bodycam_enrolment_code"],
        ]
    else:
        recording = ["record", "--recording-id", f"demo-{name}-{stamp}"]
    return [
        sys.executable,
        "-m",
        "capture",
        *recording,
        "--spool",
        str(spool),
        "--checkpoint-seconds",
        "30",
        "--device-id",
        f"demo-{name}",
        "--live",
        f"{portal_url}/live/whip",
        *arguments,
    ]


def main(argv: list[str] | None = None) -> int:
    """Start everything (options: --data, --host, --portal-port, --port); 2 when a setting is
    refused or a port is taken (named, before anything starts)."""
    parser = argparse.ArgumentParser(description="run courtrec on its embedded defaults")
    parser.add_argument("--data", type=Path, default=Path(".run"))
    try:
        archive_settings = load_settings(ArchiveSettings)
        add_port_options(parser, load_settings(RunSettings))
        args = parser.parse_args(argv)
        ports = ports_of(args)
        check_ports(ports)  # before anything starts: say which port is taken, and how to move it
    except (RefusedSettingError, PortTakenError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # Owner only, as in every ``python -m`` entry point: the store, spools, database and logs under
    # --data are 0700 directories and 0600 files (the children inherit the umask).
    os.umask(0o077)
    data: Path = args.data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    data.chmod(0o700)  # a --data left by a run before the umask was set is closed as well
    stop = StopRequest()  # not a threading.Event: see archive/stop_request.py
    stop.install()
    # a loaded machine may need longer than idle: COURTREC_STORE_START_SECONDS (default 120 s)
    start_seconds = archive_settings.store_start_seconds
    print(f"starting the embedded S3 store (up to {start_seconds:g} s) …", file=sys.stderr, flush=True)
    with EmbeddedStore(data / "store", port=ports.store_port, start_seconds=start_seconds) as store:
        config = store.config
        env = {
            **os.environ,
            "COURTREC_S3_ENDPOINT": config.endpoint,
            "COURTREC_S3_ACCESS_KEY": config.access_key,
            "COURTREC_S3_SECRET_KEY": config.secret_key,
            "COURTREC_S3_BUCKET": config.bucket,
        }
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        # the courtroom's recorder service fetches its schedule from the portal and reports to it
        env["COURTREC_PORTAL_AGENT_TOKEN"] = secrets.token_urlsafe(32)
        live_env, tokens = _live_settings(data, ports.host)
        portal, portal_text, bodycam = start_portal(
            data, env, stamp, live_env, host=ports.host, port=ports.portal_port
        )
        portal_url = local_url(ports.host, ports.portal_port)  # the agents publish on this machine
        agents: dict[str, subprocess.Popen[bytes]] = {}
        for name, arguments in DEMO_AGENTS.items():
            command = _agent_command(
                name,
                arguments,
                portal_url=portal_url,
                spool=data / "spool" / name,
                stamp=stamp,
                bodycam=bodycam,
            )
            log = (data / f"{name}.log").open("ab")
            agent_env = {**env, **LOOPBACK_ICE, "COURTREC_LIVE_TOKEN": tokens[name]}
            agents[name] = subprocess.Popen(command, env=agent_env, stdout=log, stderr=subprocess.STDOUT)
        print(
            f"""
courtrec is running (Ctrl-C stops everything).

  S3 store (SeaweedFS):  {config.endpoint}  bucket {config.bucket}
      export COURTREC_S3_ENDPOINT={config.endpoint}
      export COURTREC_S3_ACCESS_KEY={config.access_key}
      export COURTREC_S3_SECRET_KEY={config.secret_key}
      export COURTREC_S3_BUCKET={config.bucket}
  demo agents:           spools under {data / "spool"}, logs in {data}/*.log
  demo bodycam:          records from the start (10 s pre-event buffer), a new recording per
                         activation; the wall's 远程启动录像 starts it again after SIGUSR2 stops it
  demo courtroom:        records the demo hearings by the portal's schedule (capture serve);
      clerk's console    http://127.0.0.1:{COURTROOM_CONSOLE_PORT}/   (this machine only)
{portal_text}
      (the demo agents publish to {portal_url}/live/whip; public broadcast delay {PUBLIC_DELAY_SECONDS} s)
  check a recording:     (after Ctrl-C, with the exports above, while `make run` runs again or
                          `python -m archive store --data {data / "store"}` serves the store)
      .venv/bin/python -m archive verify RECORDING_ID
      (recording ids: the folders under {data / "spool"}/*/recordings)
""",
            flush=True,
        )
        while not stop.is_set():
            for name, agent in agents.items():
                if agent.poll() is not None:
                    print(f"agent {name} exited with {agent.returncode}; see {data / (name + '.log')}")
                    stop.set()
            stop.wait(1.0)
        for agent in agents.values():
            agent.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 60
        for name, agent in agents.items():
            try:
                agent.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:  # its spool keeps every sealed segment; upload it later
                print(f"agent {name} did not stop within 60 s; killing it (see {data / (name + '.log')})")
                agent.kill()
                agent.wait()
        portal.send_signal(signal.SIGTERM)
        portal.wait(timeout=60)
        print("agents stopped; their recordings are sealed and uploaded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
