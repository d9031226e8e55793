"""``python -m capture serve`` against a real portal, a real recorder and a real SeaweedFS bucket: it
records the room's hearings by the schedule with no other command — not a cancelled one, a moved one
at its new time, back-to-back ones as separate recordings with no gap — keeps recording through a
portal outage and reports when the portal is back, resumes the same recording after a kill -9, and a
hearing nobody records raises the alarm within a minute of its start.

Lead and grace are 2 s each here (the options take fractions of a minute); pictures 320x240 @ 15 fps.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from archive.store import ObjectStore
from portal.db import transaction
from portal.identity.accounts import get_or_create_court, get_or_create_courtroom
from portal.models import Recording, RoomState
from portal.web.app import create_app
from tests.capture.conftest import SMALL_VIDEO, store_env
from tests.conftest import free_port
from tests.portal.conftest import AGENT_TOKEN, Template, portal_settings
from tests.portal.served import Visitor
from tests.portal.world import CASE_A, STAFF_PASSWORD
from tests.waiting import wait_until

LEAD = GRACE = 2.0  # seconds


class LivePortal:
    """The portal on a fixed loopback port with the real clock; it can be stopped and started again
    on the same port and database (an outage)."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.settings = portal_settings(url, data_dir).model_copy(
            update={"portal_cookie_secure": False, "environment": "development"}
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app: Any = None

    def start(self) -> None:
        self.app = create_app(self.settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        server = uvicorn.Server(config)
        self._server, self._thread = server, threading.Thread(target=server.run, daemon=True)
        self._thread.start()
        wait_until(lambda: server.started, 30, "the portal to start")

    def stop(self) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self.app.state.portal.audit_batch.close()
        self.app.state.portal.engine.dispose()
        self._server = None

    def db(self) -> Any:
        return transaction(self.app.state.portal.sessions)


@pytest.fixture
def live_portal(sqlite_template: Template, tmp_path: Path) -> Iterator[LivePortal]:
    portal = LivePortal(sqlite_template.make_url(), tmp_path / "portal")
    portal.start()
    yield portal
    if portal._server is not None:
        portal.stop()


@pytest.fixture
def clerk(live_portal: LivePortal) -> Iterator[Visitor]:
    visitor = Visitor(live_portal.url).sign_in("staff", "clerk-a", STAFF_PASSWORD)
    yield visitor
    visitor.close()


class Serve:
    """One ``python -m capture serve`` process for room-a of court-a."""

    def __init__(self, portal_url: str, spool: Path, store: ObjectStore, log: Path) -> None:
        self.spool, self._log_path = spool, log
        env = store_env(store.config) | {
            "COURTREC_PORTAL_AGENT_TOKEN": AGENT_TOKEN,
            "COURTREC_COURT": "court-a",
            "COURTREC_DEVICE_ID": "pc-room-a",
        }
        command = [
            sys.executable, "-m", "capture", "serve", "--room", "room-a", "--portal", portal_url,
            "--spool", str(spool), "--source", SMALL_VIDEO, "--lead-minutes", str(LEAD / 60),
            "--grace-minutes", str(GRACE / 60), "--refresh-seconds", "0.5", "--report-seconds", "1",
            "--segment-seconds", "2", "--checkpoint-seconds", "5", "--drain-seconds", "0",
            "--preset", "ultrafast", "--console-port", "0",
        ]  # fmt: skip
        self._log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        self._log.close()

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        self._log.close()
        return self._log_path.read_text(errors="replace")


def _recordings(spool: Path) -> dict[str, list[dict[str, Any]]]:
    """Every recording in the spool and its journal events, in order."""
    found = {}
    root = spool / "recordings"
    for directory in sorted(root.iterdir()) if root.exists() else []:
        events: list[dict[str, Any]] = []
        for chunk in sorted((directory / "journal").glob("*.jsonl")):
            events.extend(json.loads(line) for line in chunk.read_text().splitlines() if line.strip())
        found[directory.name] = events
    return found


def _by_hearing(spool: Path) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """Recordings keyed by the hearing id their first start event names."""
    keyed = {}
    for recording_id, events in _recordings(spool).items():
        starts = [e for e in events if e["type"] == "start"]
        if starts:
            keyed[starts[0].get("hearing")] = (recording_id, events)
    return keyed


def _stopped(events: list[dict[str, Any]]) -> bool:
    return (
        bool(events)
        and events[-1]["type"] in {"stop", "checkpoint"}
        and any(e["type"] == "stop" for e in events)
    )


def _segments(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "segment"]


def _schedule(
    clerk: Visitor,
    room_id: int,
    case_id: int,
    start: datetime,
    end: datetime,
    double_booking_reason: str | None = None,
) -> int:
    body = {
        "case_id": case_id,
        "courtroom_id": room_id,
        "starts_at": start.isoformat(),
        "expected_end_at": end.isoformat(),
        "double_booking_reason": double_booking_reason,
    }
    response = clerk.post("/api/hearings", json=body)
    assert response.status_code == 201, response.text
    hearing_id: int = response.json()["id"]
    return hearing_id


def _room_state(portal: LivePortal, room_id: int) -> RoomState | None:
    with portal.db() as db:
        state = db.get(RoomState, room_id)
        if state is not None:
            db.expunge(state)
        return state


def _recording_row(portal: LivePortal, recording_id: str) -> Recording | None:
    with portal.db() as db:
        row = db.get(Recording, recording_id)
        if row is not None:
            db.expunge(row)
        return row


def _serve_up(portal: LivePortal, room_id: int, since: datetime) -> None:
    """Wait until the service has reported a schedule fetched after ``since``."""

    def fetched() -> bool:
        state = _room_state(portal, room_id)
        return (
            state is not None and state.schedule_fetched_at is not None and state.schedule_fetched_at >= since
        )

    wait_until(fetched, 30, "the service to report a fresh schedule", poll=0.1)


def test_the_service_records_the_schedule_by_itself(
    live_portal: LivePortal,
    clerk: Visitor,
    sqlite_template: Template,
    object_store: ObjectStore,
    tmp_path: Path,
) -> None:
    world = sqlite_template.world
    with live_portal.db() as db:  # a second courtroom of court A, where nobody records
        court = get_or_create_court(db, "court-a", "北京市第一法院")
        unattended = get_or_create_courtroom(db, court, "room-c", "第三法庭").id
    serve = Serve(live_portal.url, tmp_path / "spool", object_store, tmp_path / "serve.log")
    try:
        _serve_up(live_portal, world.room_a, datetime.now(UTC) - timedelta(seconds=60))
        t0 = datetime.now(UTC) + timedelta(seconds=1)

        def at(seconds: float) -> datetime:
            return t0 + timedelta(seconds=seconds)

        first = _schedule(clerk, world.room_a, world.case_a, at(4), at(9))
        second = _schedule(clerk, world.room_a, world.case_a, at(9), at(14))  # back to back
        cancelled = _schedule(clerk, world.room_a, world.case_a, at(15), at(18))
        moved = _schedule(  # overlaps `cancelled` until that one is cancelled below
            clerk, world.room_a, world.case_a, at(16), at(19), "前一庭将取消，本庭改在此时"
        )
        nobody = _schedule(clerk, unattended, world.case_a, at(2), at(90))
        assert clerk.post(f"/api/hearings/{cancelled}/cancel", json={"reason": "原告撤诉"}).status_code == 200
        new = {"starts_at": at(21).isoformat(), "expected_end_at": at(25).isoformat()}
        assert clerk.post(f"/api/hearings/{moved}/reschedule", json=new).status_code == 200

        alarmed: dict[int, datetime] = {}

        def watch_alarms() -> bool:
            for alarm in clerk.get("/api/courtrooms").json()["alarms"]:
                alarmed.setdefault(alarm["hearing_id"], datetime.now(UTC))
            return datetime.now(UTC) >= at(12)

        wait_until(watch_alarms, 40, "the second hearing to be under way", poll=0.5)
        assert clerk.post(f"/api/hearings/{second}/close").status_code == 200  # the clerk's close

        def done() -> bool:
            watch_alarms()
            keyed = _by_hearing(serve.spool)
            return str(moved) in keyed and _stopped(keyed[str(moved)][1]) and nobody in alarmed

        wait_until(done, 70, "the moved hearing's recording to end and the unattended alarm", poll=0.5)
        page = clerk.get("/staff/courtrooms").text

        def uploaded() -> bool:  # the service's uploader sends every recording to the bucket
            keys = [o.key for o in object_store.list_objects("recordings")]
            ids = [recording_id for recording_id, _events in _by_hearing(serve.spool).values()]
            return all(f"recordings-by-id/{i}.json" in keys for i in ids) and all(
                any(f"/{i}/" in k and k.endswith(".m4s") for k in keys) for i in ids
            )

        wait_until(uploaded, 30, "the recordings to reach the bucket", poll=0.5)
    finally:
        log = serve.stop()
    keyed = _by_hearing(serve.spool)
    assert set(keyed) == {str(first), str(second), str(moved)}, log[-3000:]  # never the cancelled one
    stops = {h: [e["reason"] for e in events if e["type"] == "stop"] for h, (_id, events) in keyed.items()}
    assert stops[str(first)] == ["the next hearing in this courtroom started"]
    assert stops[str(second)] == ["hearing closed by the clerk"]
    assert stops[str(moved)] == ["expected end plus grace passed without the clerk's close"]
    for _id, events in keyed.values():
        start = next(e for e in events if e["type"] == "start")
        assert start["room"] == "room-a" and start["court"] == "court-a" and start["case"] == CASE_A
    first_segments, second_segments = _segments(keyed[str(first)][1]), _segments(keyed[str(second)][1])
    # no gap: the second hearing's first picture is no later than the first hearing's last one
    assert datetime.fromisoformat(second_segments[0]["t_start_utc"]) <= datetime.fromisoformat(
        first_segments[-1]["t_end_utc"]
    )
    moved_start = datetime.fromisoformat(_segments(keyed[str(moved)][1])[0]["t_start_utc"])
    assert at(21) - timedelta(seconds=LEAD + 1) <= moved_start <= at(21)  # at its new time, not its old
    assert nobody in alarmed and alarmed[nobody] <= at(2) + timedelta(seconds=60)
    assert not {first, second, moved} & set(alarmed), alarmed  # recorded hearings never alarm
    assert "法庭录像状态" in page and "第三法庭" in page
    for hearing, (recording_id, _events) in keyed.items():
        row = _wait_indexed(live_portal, recording_id)
        assert row.hearing_id == int(hearing)


def _wait_indexed(portal: LivePortal, recording_id: str) -> Recording:
    """The recording's index row once the portal has it complete (reported by the service)."""
    found: list[Recording] = []

    def indexed() -> bool:
        row = _recording_row(portal, recording_id)
        found[:] = [row] if row is not None and row.complete else []
        return bool(found)

    wait_until(indexed, 15, f"the portal to index {recording_id} as complete", poll=0.2)
    return found[0]


def test_a_portal_outage_during_the_whole_hearing_does_not_stop_its_recording(
    live_portal: LivePortal,
    clerk: Visitor,
    sqlite_template: Template,
    object_store: ObjectStore,
    tmp_path: Path,
) -> None:
    world = sqlite_template.world
    serve = Serve(live_portal.url, tmp_path / "spool", object_store, tmp_path / "serve.log")
    try:
        _serve_up(live_portal, world.room_a, datetime.now(UTC) - timedelta(seconds=60))
        start = datetime.now(UTC) + timedelta(seconds=4)
        hearing = _schedule(clerk, world.room_a, world.case_a, start, start + timedelta(seconds=4))
        _serve_up(live_portal, world.room_a, datetime.now(UTC))  # it has the hearing in its cache
        live_portal.stop()  # down before the lead time, back only after expected end plus grace

        def recorded() -> bool:
            keyed = _by_hearing(serve.spool)
            return str(hearing) in keyed and _stopped(keyed[str(hearing)][1])

        wait_until(recorded, 40, "the hearing to be recorded while the portal is down", poll=0.2)
        assert serve.process.poll() is None
        recording_id, events = _by_hearing(serve.spool)[str(hearing)]
        assert len(_segments(events)) >= 3  # about 8 s at 2-s segments: lead, hearing and grace
        live_portal.start()
        row = _wait_indexed(live_portal, recording_id)  # reported as soon as the portal is back
        assert row.hearing_id == hearing and row.case_id == world.case_a
        wait_until(
            lambda: (
                (state := _room_state(live_portal, world.room_a)) is not None and state.state.value == "idle"
            ),
            10,
            "the room to report idle again",
            poll=0.2,
        )
    finally:
        log = serve.stop()
    assert "not delivered to the portal" in log and "takes the room's state reports again" in log


def test_a_killed_service_resumes_the_same_recording_with_the_gap_journaled(
    live_portal: LivePortal,
    clerk: Visitor,
    sqlite_template: Template,
    object_store: ObjectStore,
    tmp_path: Path,
) -> None:
    world = sqlite_template.world
    spool = tmp_path / "spool"
    serve = Serve(live_portal.url, spool, object_store, tmp_path / "serve.log")
    try:
        _serve_up(live_portal, world.room_a, datetime.now(UTC) - timedelta(seconds=60))
        start = datetime.now(UTC) + timedelta(seconds=3)  # long enough for a restart on a busy machine
        hearing = _schedule(clerk, world.room_a, world.case_a, start, start + timedelta(seconds=20))

        def recording() -> bool:
            keyed = _by_hearing(spool)
            return str(hearing) in keyed and len(_segments(keyed[str(hearing)][1])) >= 2

        wait_until(recording, 30, "the hearing's recording to seal two segments", poll=0.2)
        serve.kill()  # kill -9 mid-hearing
        killed_at = datetime.now(UTC)
        serve = Serve(live_portal.url, spool, object_store, tmp_path / "serve.log")

        def ended() -> bool:
            keyed = _by_hearing(spool)
            return _stopped(keyed[str(hearing)][1])

        wait_until(ended, 40, "the resumed recording to end", poll=0.2)
    finally:
        log = serve.stop()
    recordings = _recordings(spool)
    assert len(recordings) == 1  # the same recording, resumed
    [(recording_id, events)] = recordings.items()
    starts = [e for e in events if e["type"] == "start"]
    assert [s["run"] for s in starts] == [1, 2] and all(s["hearing"] == str(hearing) for s in starts)
    assert starts[1]["reason"] == "restarted after an unclean stop"
    gaps = [e for e in events if e["type"] == "gap"]
    assert gaps and gaps[0]["reason"] == "recorder restarted after an unclean stop"
    # the gap starts where the salvaged media ends: the last picture's time plus its duration, on the
    # media timeline, so up to one frame (1/15 s) after the instant the process died
    frame = timedelta(seconds=1 / 15)
    assert datetime.fromisoformat(gaps[0]["from"]) <= killed_at + frame
    # the gap ends at the restart, placed by the monotonic clock on the old run's timeline; where the
    # wall clock moved otherwise meanwhile (a paused VM resumes with its wall clock set forward, its
    # monotonic clock not), the restart journals that step, and the test's wall clock is on its far side
    stepped = timedelta(seconds=sum(e["step_seconds"] for e in events if e["type"] == "clock_step"))
    assert killed_at <= datetime.fromisoformat(gaps[0]["to"]) + stepped
    assert [e["reason"] for e in events if e["type"] == "stop"] == [
        "expected end plus grace passed without the clerk's close"
    ], log
    assert _wait_indexed(live_portal, recording_id).hearing_id == hearing
