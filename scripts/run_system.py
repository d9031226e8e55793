"""Start the whole system on its embedded defaults (``make run``): the S3 store and demo agents.

Composition only: every part is started through its own ``python -m <package>`` entry point or
public API; Ctrl-C stops everything and leaves no process behind.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from archive.embedded_store import EmbeddedStore

DEMO_AGENTS = {
    "courtroom": [
        "--room",
        "demo-courtroom-1",
        "--case",
        "2026-demo-civ-0001",
        "--source",
        "synthetic#size=640x360&fps=15&audio=0&name=bench-cam",
        "--source",
        "synthetic#size=640x360&fps=15&audio=0&name=wide-cam",
        "--source",
        "synthetic#video=0&name=mic-1",
    ],
    "bodycam": [
        "--room",
        "bodycam-007",
        "--case",
        "2026-demo-enf-0042",
        "--source",
        "synthetic#size=640x360&fps=15&name=bodycam",
    ],
}


def main() -> int:
    parser = argparse.ArgumentParser(description="run courtrec on its embedded defaults")
    parser.add_argument("--data", type=Path, default=Path(".run"))
    parser.add_argument("--port", type=int, default=8333)
    args = parser.parse_args()
    data: Path = args.data.resolve()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with EmbeddedStore(data / "store", port=args.port) as store:
        config = store.config
        env = {
            **os.environ,
            "COURTREC_S3_ENDPOINT": config.endpoint,
            "COURTREC_S3_ACCESS_KEY": config.access_key,
            "COURTREC_S3_SECRET_KEY": config.secret_key,
            "COURTREC_S3_BUCKET": config.bucket,
        }
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        agents: dict[str, subprocess.Popen[bytes]] = {}
        for name, arguments in DEMO_AGENTS.items():
            spool = data / "spool" / name
            command = [
                sys.executable,
                "-m",
                "capture",
                "record",
                "--spool",
                str(spool),
                "--recording-id",
                f"demo-{name}-{stamp}",
                "--checkpoint-seconds",
                "30",
                *arguments,
            ]
            log = (data / f"{name}.log").open("ab")
            agents[name] = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        print(
            f"""
courtrec is running (Ctrl-C stops everything).

  S3 store (SeaweedFS):  {config.endpoint}  bucket {config.bucket}
      export COURTREC_S3_ENDPOINT={config.endpoint}
      export COURTREC_S3_ACCESS_KEY={config.access_key}
      export COURTREC_S3_SECRET_KEY={config.secret_key}
      export COURTREC_S3_BUCKET={config.bucket}
  demo agents:           {", ".join(f"demo-{n}-{stamp}" for n in agents)}
      spools under {data / "spool"}, logs in {data}/*.log
  check a recording:     (after Ctrl-C, with the exports above, while `make run` runs again or
                          `python -m archive store --data {data / "store"}` serves the store)
      .venv/bin/python -m archive verify demo-courtroom-{stamp}
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
        for agent in agents.values():
            agent.wait(timeout=max(1.0, deadline - time.monotonic()))
        print("agents stopped; their recordings are sealed and uploaded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
