"""A real capture agent reports its recording to a real portal at start and at stop."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import uvicorn
from sqlalchemy import select

from archive.layout import RecordingSpool
from archive.object_store import ObjectStore
from portal.models import AuditRecord, Recording
from tests.portal.conftest import AGENT_TOKEN, Template, open_portal


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_agent_reports_start_and_stop_to_the_portal(
    sqlite_template: Template, recording_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> None:
    with open_portal(sqlite_template, recording_store, session_now, tmp_path) as portal:
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(portal.app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("COURTREC_")}
            env["COURTREC_PORTAL_AGENT_TOKEN"] = AGENT_TOKEN
            spool = tmp_path / "spool"
            completed = subprocess.run(
                [
                    sys.executable, "-m", "capture", "record",
                    "--court", "court-a", "--room", "room-a", "--case", "CASE-A",
                    "--recording-id", "rec-reported", "--spool", str(spool),
                    "--duration", "5", "--segment-seconds", "2", "--drain-seconds", "0",
                    "--portal", f"http://127.0.0.1:{port}",
                    "--source", "synthetic#size=320x240&fps=15&audio=0",
                ],
                env=env, capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            assert completed.returncode == 0, completed.stderr
        finally:
            server.should_exit = True
            thread.join(timeout=10)
        journal = [
            json.loads(line)
            for chunk in sorted((RecordingSpool(spool, "rec-reported").journal_dir).glob("*.jsonl"))
            for line in chunk.read_text().splitlines()
        ]
        sealed = sum(1 for event in journal if event["type"] == "segment")
        with portal.db_factory() as db:
            recording = db.get(Recording, "rec-reported")
            reports = db.scalars(select(AuditRecord).where(AuditRecord.action == "recording_reported")).all()
        assert recording is not None and recording.complete and recording.ended_at is not None
        assert recording.court_code == "court-a" and recording.room == "room-a"
        assert recording.segment_count == sealed >= 2
        assert json.loads(recording.streams) == ["synthetic-1"]
        assert [r.target for r in reports] == ["recording:rec-reported"] * 2  # at start and at stop
