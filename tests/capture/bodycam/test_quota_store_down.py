"""The spool quota with the real store stopped (issue 15 item 3): the quota alarm goes out, recording
goes on beyond the soft quota, no sealed unconfirmed segment is deleted, the heartbeat reports the
backlog; when the store is back the backlog drains, the alarm clears and every segment is archived
with its journaled hash."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from archive.preservation.verify import verify_recording
from archive.store import ObjectStore
from tests.capture.bodycam.agent_process import post, start_bodycam, status
from tests.capture.conftest import journal_events
from tests.conftest import MakeEmbeddedStore
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

QUOTA = 1 << 20


def _segments(spool: Path, recording: str) -> list[dict[str, object]]:
    return [e for e in journal_events(spool, recording) if e["type"] == "segment"]


def test_store_down_at_the_quota_records_on_beyond_it_and_deletes_nothing_unconfirmed(
    tmp_path: Path, make_embedded_store: MakeEmbeddedStore
) -> None:
    site = make_embedded_store()
    store = ObjectStore(site.config)
    store.ensure_bucket()
    spool = tmp_path / "spool"
    options = (
        "--pre-event-seconds", "0", "--video-bitrate", "600000", "--spool-quota", str(QUOTA),
        "--control-port", "0", "--activate-on-start",
    )  # fmt: skip
    with start_bodycam(spool, *options, device_id="bodycam-9", store=site.config) as bodycam:
        agent = bodycam.process
        port = bodycam.control_port()
        recording = bodycam.read_until("started").split()[1]
        media = spool / "recordings" / recording
        wait_until(
            lambda: len(_segments(spool, recording)) >= 2 and status(port)["upload_bytes_per_second"],
            60,
            "two segments uploaded and an upload rate measured",
        )

        site.stop(grace_seconds=5)  # the store goes away: nothing more is confirmed
        down_at = len(_segments(spool, recording))

        def over_quota_and_recording_on() -> bool:
            beat = status(port)
            alarmed = any("spool_quota ALARM" in line for line in beat["alarms"])  # type: ignore[attr-defined]
            return alarmed and int(str(beat["spool_used_bytes"])) > QUOTA * 1.2

        wait_until(over_quota_and_recording_on, 120, "the quota alarm and the spool 20% over its quota")
        beat = status(port)
        assert "beyond the quota" in str(beat["alarms"]), beat["alarms"]
        assert beat["recording"] == "recording"
        # the backlog counts (at least) every segment sealed since the store went down
        sealed_while_down = _segments(spool, recording)[down_at:]
        unconfirmed = sum((media / str(e["object"])).stat().st_size for e in sealed_while_down)
        wait_until(
            lambda: int(str(status(port)["backlog_bytes"])) >= unconfirmed > 0,
            10,
            "the backlog to count every segment sealed while the store is down",
        )
        assert beat["free_bytes"] == 0  # what the quota still allows: the fleet sees it full
        assert beat["drain_seconds"] is None or float(str(beat["drain_seconds"])) > 0
        after_down = _segments(spool, recording)[down_at:]
        assert len(after_down) >= 3
        for event in after_down:  # every segment sealed while the store was down is still on the spool
            assert (media / str(event["object"])).is_file(), event["object"]
        alarm = next(e for e in journal_events(spool, recording) if e.get("condition") == "spool_quota")
        assert alarm["active"] is True and "unconfirmed segments are kept" in str(alarm["detail"])

        site.start()  # the store is back: the backlog drains, the alarm clears while still recording
        wait_until(lambda: not status(port)["alarms"], 120, "the backlog to drain and the alarm to clear")
        assert post(port, "/deactivate")[0] == 200
        bodycam.read_until("stopped")
        wait_until(lambda: status(port)["backlog_segments"] == 0, 90, "the last uploads")
        beat = status(port)
        assert beat["drain_seconds"] == 0.0 and beat["upload_bytes_per_second"]
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(timeout=60) == 0
    events = journal_events(spool, recording)
    assert [e["active"] for e in events if e.get("condition") == "spool_quota"] == [True, False]
    report = verify_recording(store, recording)
    assert report.intact, report
    for event in _segments(spool, recording):  # each archived once, under its journaled hash
        stored = store.stat(f"{_prefix(store, recording)}/{event['object']}")
        assert stored is not None and stored.sha256 == event["sha256"], event["object"]


def _prefix(store: ObjectStore, recording: str) -> str:
    keys = [o.key for o in store.list_objects("recordings/") if f"/{recording}/" in o.key]
    assert keys, f"nothing of {recording} in the store"
    return keys[0].split(f"/{recording}/")[0] + f"/{recording}"
