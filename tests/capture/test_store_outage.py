"""The store goes away for 20 s while recording: nothing lost, nothing duplicated, the queue drains."""

from __future__ import annotations

import dataclasses
import subprocess
import time
from pathlib import Path

import pytest

from archive.preservation.verify import find_prefix, verify_recording
from archive.spool.upload_queue import UploadQueue, UploadState
from archive.store.object_store import ObjectStore

from .conftest import SMALL_VIDEO, agent_command, journal_events, store_env

pytestmark = pytest.mark.integration


def test_store_down_for_twenty_seconds(tmp_path: Path, make_embedded_store) -> None:  # type: ignore[no-untyped-def]
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
            "36",
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
    time.sleep(8)
    site.stop()
    time.sleep(20)
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
    assert len([e for e in events if e["type"] == "segment"]) >= 2 * 16
    with UploadQueue(spool / "upload-queue.sqlite") as queue:
        counts = queue.counts()
    assert counts[UploadState.PENDING] == 0 and counts[UploadState.DONE] > 0
    assert "retrying" in stderr  # the outage was seen and retried, not skipped
