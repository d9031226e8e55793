"""The clerk's open pause and sealed span across restarts and stops, one step at a time with a
hand-moved clock and recordings that only note what is asked of them (the real process, killed with
-9, is in tests/capture/test_clerk_console.py): they survive a crash, every stop journals their ends
first (by the system, with the stop's reason), and the service's own stop reopens them on restart."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from archive.journal import ReadinessEvent
from capture.service.clerk_desk import ClerkDesk
from capture.service.courtroom_service import CourtroomService
from capture.service.room_state import RecorderState
from tests.capture.test_courtroom_service import START, Room, _hearing
from timebase import ManualClock

CLERK = "王书记员"


@pytest.fixture
def room(tmp_path: Path) -> Room:
    return Room(tmp_path / "spool")


def _paused_and_sealed(room: Room) -> str:
    """Hearing 1 recording, paused for a recess and sealed by the clerk; its recording id."""
    room.schedule(_hearing(1, START))
    room.clock.advance(timedelta(minutes=6))
    service = room.service()
    service.step()
    desk = ClerkDesk(service, room.clock, room="room-a")
    desk.pause("recess", "", CLERK)
    desk.seal_begin("出示涉及商业秘密的证据", CLERK)
    active, _ = service.current()
    assert active is not None and service.status().sealed
    return active.recording_id


def _saved_active(room: Room) -> dict[str, object]:
    active: dict[str, object] = json.loads((room.spool / "service-state.json").read_text())["active"]
    return active


def test_an_open_pause_and_seal_survive_a_crash(room: Room) -> None:
    recording_id = _paused_and_sealed(room)
    since = room.clock.now()
    room.clock.advance(timedelta(minutes=1))
    journaled = len(room.log)
    restarted = room.service()  # the first "process" died (kill -9): nothing was stopped
    restarted.resume_left_recording()
    assert room.log[journaled:] == [f"start 1 {recording_id}"]  # the spans go on open in the journal
    status = restarted.status()
    assert status.state is RecorderState.PAUSED and status.sealed and status.to_body()["sealed"] is True
    marks = restarted.marks.of(recording_id)
    assert marks.pause is not None and marks.seal is not None
    assert (marks.pause.by, marks.pause.reason, marks.pause.since) == (CLERK, "休庭", since)
    assert (marks.seal.by, marks.seal.reason) == (CLERK, "出示涉及商业秘密的证据")

    ClerkDesk(restarted, room.clock, room="room-a").seal_end(CLERK)  # the clerk can end them after all
    assert _saved_active(room)["seal"] is None
    again = room.service()
    again.resume_left_recording()
    assert again.status().state is RecorderState.PAUSED and not again.status().sealed


def test_a_pause_and_seal_ended_before_the_crash_are_not_restored(room: Room) -> None:
    recording_id = _paused_and_sealed(room)
    restarted = room.service()
    restarted.resume_left_recording()
    desk = ClerkDesk(restarted, room.clock, room="room-a")
    desk.resume(CLERK)
    desk.seal_end(CLERK)
    assert (_saved_active(room)["pause"], _saved_active(room)["seal"]) == (None, None)
    again = room.service()
    again.resume_left_recording()
    assert again.status().state is RecorderState.RECORDING and not again.status().sealed
    assert again.marks.of(recording_id).pause is None


def test_a_recording_stopping_while_paused_and_sealed_journals_both_ends_first(room: Room) -> None:
    _paused_and_sealed(room)
    room.clock.advance(timedelta(hours=3))  # the clerk never closed it: expected end plus grace passed
    service = room.service()
    service.resume_left_recording()
    reason = "closed after a restart: expected end plus grace passed without the clerk's close"
    assert room.log[-3:] == [
        f"resume 1 by 系统: the recording stops while paused: {reason}",
        f"seal_end 1 by 系统: the recording stops while sealed: {reason}",
        f"stop 1 {reason}",
    ]
    assert _saved_active(room) is None
    assert service.status().state is RecorderState.IDLE and not service.status().sealed


def test_the_clerks_close_ends_the_spans_before_the_stop(room: Room) -> None:
    _paused_and_sealed(room)
    service = room.service()
    service.resume_left_recording()
    service.close_active(f"hearing closed by the clerk ({CLERK})", by=CLERK)
    assert [line.split()[0] for line in room.log[-3:]] == ["resume", "seal_end", "stop"]
    assert not service.status().sealed


def test_the_services_own_stop_closes_the_spans_and_the_restart_reopens_them(room: Room) -> None:
    recording_id = _paused_and_sealed(room)
    service = room.service()
    service.resume_left_recording()
    service._keeper.shut_down("recorder service stopped", 0.0)  # what SIGTERM's stop does last
    assert room.log[-3:] == [
        "resume 1 by 系统: the recording stops while paused: recorder service stopped",
        "seal_end 1 by 系统: the recording stops while sealed: recorder service stopped",
        "stop 1 recorder service stopped",
    ]
    assert _saved_active(room)["spans_closed"] is True  # still in progress, its spans to reopen
    restarted = room.service()
    restarted.resume_left_recording()
    assert room.log[-3:] == [
        f"start 1 {recording_id}",
        "pause 1 recess by 系统: 休庭（录像服务重启后继续暂停）",
        "seal_begin 1 by 系统: 出示涉及商业秘密的证据（录像服务重启后继续封存）",
    ]
    assert restarted.status().state is RecorderState.PAUSED and restarted.status().sealed
    assert _saved_active(room)["spans_closed"] is False
    journaled = len(room.log)
    crashed_after = room.service()  # a kill -9 now: the spans are open in the journal, not reopened
    crashed_after.resume_left_recording()
    assert room.log[journaled:] == [f"start 1 {recording_id}"]
    assert crashed_after.status().sealed


def test_at_a_hand_over_the_old_recordings_spans_end_and_the_next_starts_unmarked(room: Room) -> None:
    room.schedule(_hearing(1, START), _hearing(2, START + timedelta(hours=1)))
    room.clock.advance(timedelta(minutes=6))
    service = room.service()
    service.step()
    desk = ClerkDesk(service, room.clock, room="room-a")
    desk.pause("mediation", "", CLERK)
    desk.seal_begin("调解过程不公开", CLERK)
    room.clock.advance(timedelta(minutes=64))  # the second hearing's time
    service.step()
    assert [line.split()[:2] for line in room.log[-4:]] == [
        ["start", "2"],
        ["resume", "1"],
        ["seal_end", "1"],
        ["stop", "1"],
    ]
    status = service.status()
    assert status.state is RecorderState.RECORDING and not status.sealed
    saved = _saved_active(room)
    assert (saved["pause"], saved["seal"]) == (None, None)


class _Probe:
    """The pictures and sound a readiness check measures: a live picture and a loud microphone."""

    def picture_age(self, name: str) -> float | None:
        return 0.1

    def peak_dbfs(self, name: str) -> float | None:
        return -12.0


def _checked(service: CourtroomService) -> ReadinessEvent:
    desk = ClerkDesk(service, ManualClock(START), room="room-a")
    return desk.readiness(
        CLERK, cameras={"cam"}, microphones=set(), probe=_Probe(), streams={"cam": (True, True)}
    )


def test_the_last_readiness_check_survives_a_crash_and_the_services_own_stop(room: Room) -> None:
    recording_id = _paused_and_sealed(room)
    service = room.service()
    service.resume_left_recording()
    event = _checked(service)
    shown = service.status().to_body()["readiness"]
    crashed = room.service()  # kill -9
    crashed.resume_left_recording()
    restored = crashed.marks.of(recording_id).readiness
    assert restored is not None and restored.event == event and restored.at == START
    assert crashed.status().to_body()["readiness"] == shown
    crashed._keeper.shut_down("recorder service stopped", 0.0)  # SIGTERM: the spans are closed
    restarted = room.service()
    restarted.resume_left_recording()  # and reopened, the readiness check still kept with them
    assert restarted.status().to_body()["readiness"] == shown and restarted.status().sealed


def test_a_damaged_readiness_check_is_dropped_and_the_rest_restored(
    room: Room, caplog: pytest.LogCaptureFixture
) -> None:
    recording_id = _paused_and_sealed(room)
    service = room.service()
    service.resume_left_recording()
    _checked(service)
    state = json.loads((room.spool / "service-state.json").read_text())
    state["active"]["readiness"]["checks"][0]["ok"] = "yes"  # not a JSON boolean
    (room.spool / "service-state.json").write_text(json.dumps(state))
    restarted = room.service()
    restarted.resume_left_recording()
    marks = restarted.marks.of(recording_id)
    assert marks.readiness is None and marks.pause is not None and marks.seal is not None
    assert "the readiness check is damaged" in caplog.text and "'ok'" in caplog.text
    assert not (room.spool / "service-state.bad").exists()
