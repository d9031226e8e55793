"""The store goes away while recording (until the agent has retried several times with a backlog
building up): nothing lost, nothing duplicated, the queue drains."""

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
from pathlib import Path

import pytest

from archive.preservation.verify import find_prefix, verify_recording
from archive.spool.upload_queue import UploadQueue, UploadState
from archive.store.object_store import ObjectStore
from tests.waiting import wait_until

from .conftest import SMALL_VIDEO, agent_command, journal_events, store_env

pytestmark = pytest.mark.integration


def _queue_row(spool: Path, query: str) -> int:
    """One number from the agent's upload queue, read without writing to it (0 before it exists)."""
    path = spool / "upload-queue.sqlite"
    if not path.exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        try:
            row = db.execute(query).fetchone()
        except sqlite3.OperationalError:  # the agent is still creating it
            return 0
    return int(row[0] or 0)


def test_store_down_while_recording(tmp_path: Path, make_embedded_store) -> None:  # type: ignore[no-untyped-def]
    site = make_embedded_store()
    config = dataclasses.replace(site.config, bucket="outage")
    ObjectStore(config).ensure_bucket()
    spool = tmp_path / "spool"
    agent = subprocess.Popen(
        agent_command(
            "record",
            "--room",
            "court-4",
            "--recording-id",
            "rec-outage",
            "--spool",
            str(spool),
            "--duration",
            "24",
            "--segment-seconds",
            "2",
            "--drain-seconds",
            "60",
            "--source",
            f"{SMALL_VIDEO}&name=cam",
            "--source",
            "synthetic#video=0&name=mic",
        ),
        env=store_env(config),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    uploaded = "SELECT COUNT(*) FROM uploads WHERE state = 'done' AND object_key LIKE '%.m4s'"
    wait_until(lambda: _queue_row(spool, uploaded) >= 2, 60, "the first segments uploaded", poll=0.2)
    site.stop()
    # down until the agent has retried one entry three times and a backlog of segments waits
    retried = "SELECT MAX(attempts) FROM uploads WHERE state = 'pending'"
    backlog = "SELECT COUNT(*) FROM uploads WHERE state = 'pending' AND object_key LIKE '%.m4s'"
    wait_until(
        lambda: _queue_row(spool, retried) >= 3 and _queue_row(spool, backlog) >= 6,
        60,
        "upload retries and a backlog during the outage",
        poll=0.2,
    )
    site.start()
    _stdout, stderr = agent.communicate(timeout=120)
    assert agent.returncode == 0, stderr

    store = ObjectStore(config)
    report = verify_recording(store, "rec-outage")
    assert report.intact, report.problems
    events = journal_events(spool, "rec-outage")
    journaled = {e["object"] for e in events if e["type"] in ("segment", "init")}
    prefix = find_prefix(store, "rec-outage")
    media = [
        o.key.removeprefix(prefix + "/") for o in store.list_objects(prefix + "/") if "/journal/" not in o.key
    ]
    assert sorted(media) == sorted(journaled)  # nothing lost, nothing extra, each key once
    assert len([e for e in events if e["type"] == "segment"]) >= 2 * 10
    with UploadQueue(spool / "upload-queue.sqlite") as queue:
        counts = queue.counts()
    assert counts[UploadState.PENDING] == 0 and counts[UploadState.DONE] > 0
    assert "retrying" in stderr  # the outage was seen and retried, not skipped
