"""A real capture agent reports its recording to a real portal at start and at stop."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from archive.spool.layout import RecordingSpool
from archive.store.object_store import ObjectStore
from portal.models import AuditRecord, CheckpointAnchor, DeviceKey, Recording
from tests.portal.conftest import AGENT_TOKEN, Template, open_portal, run_capture
from tests.portal.served import ServedApp


def test_an_agent_reports_start_and_stop_to_the_portal(
    sqlite_template: Template, recording_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> None:
    with (
        open_portal(sqlite_template, recording_store, session_now, tmp_path) as portal,
        ServedApp(portal.app) as served,
    ):
        spool = tmp_path / "spool"
        completed = run_capture(
            None,
            "record", "--room", "room-a", "--case", "CASE-A", "--recording-id", "rec-reported",
            "--spool", str(spool), "--duration", "5", "--segment-seconds", "2", "--drain-seconds", "0",
            "--portal", served.url, "--source", "synthetic#size=320x240&fps=15&audio=0",
            COURTREC_PORTAL_AGENT_TOKEN=AGENT_TOKEN,
        )  # fmt: skip
        assert completed.returncode == 0, completed.stderr
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
        with portal.db_factory() as db:  # the final report anchored the journal's last checkpoint
            anchored = db.scalars(select(CheckpointAnchor.seq)).all()
            keys = db.scalars(select(DeviceKey.device_id)).all()
        assert anchored == [journal[-1]["seq"]] and journal[-1]["type"] == "checkpoint"
        assert keys == [journal[0]["device_id"]]
