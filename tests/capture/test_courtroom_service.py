"""The courtroom service's loop, one step at a time with a hand-moved clock and recordings that only
note what is asked of them (the real recorder is exercised end to end in
tests/portal/test_courtroom_service.py): resume after a crash, hand-over order between back-to-back
hearings, a recording that cannot start, and a recording left by a run that ended long ago."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from archive.export import RecordingSummary
from archive.journal import (
    AlarmEvent,
    ClerkEvent,
    JournalEvent,
    PauseReason,
    ReadinessCheck,
    ReadinessEvent,
    ReadinessItem,
    SealBeginEvent,
    SealEndEvent,
)
from capture.cli import main
from capture.errors import CaptureError, RecorderError
from capture.recording.recorder import RecorderHealth, RecordingPlan
from capture.service import HearingState, Planner, RoomSchedule, ScheduledHearing
from capture.service.clerk_marks import PauseMark, ReadinessMark
from capture.service.courtroom_service import START_RETRY_SECONDS, CourtroomService, ServiceConfig
from capture.service.room_state import RecorderState
from capture.service.schedule.schedule_cache import ScheduleCache
from devices import parse_source_spec
from timebase import ManualClock

START = datetime.fromisoformat("2026-12-03T01:00:00+00:00")


class NotedRecording:
    """A recording that notes its start and stop in ``log`` (shared by all of a test's recordings)."""

    def __init__(self, plan: RecordingPlan, log: list[str], fail: bool) -> None:
        self.plan, self._log, self._fail = plan, log, fail
        self.stop_reason: str | None = None

    def start(self) -> None:
        if self._fail:
            raise RecorderError("source synthetic-1 cannot be opened")
        self._log.append(f"start {self.plan.hearing} {self.plan.recording_id}")

    def stop(self, reason: str = "hearing closed", *, drain_seconds: float = 0.0) -> None:
        self.stop_reason = reason
        self._log.append(f"stop {self.plan.hearing} {reason}")

    def summary(self) -> RecordingSummary:
        return RecordingSummary(
            self.plan.recording_id, "court-a", "room-a", self.plan.case or "", ("synthetic-1",), 0, 0.0,
            START, None, self.stop_reason is not None,
        )  # fmt: skip

    def journal_event(self, event: JournalEvent) -> None:
        assert isinstance(event, AlarmEvent)  # the service journals only its uploader's alarms
        self._log.append(f"alarm {self.plan.hearing} {event.condition}")

    def pause(self, reason: str, *, code: PauseReason | None = None, by: str | None = None) -> None:
        self._log.append(f"pause {self.plan.hearing} {code} by {by}: {reason}")

    def resume(self, reason: str = "hearing resumed", *, by: str | None = None) -> None:
        self._log.append(f"resume {self.plan.hearing} by {by}: {reason}")

    def journal_clerk_event(self, event: ClerkEvent) -> None:
        if isinstance(event, SealBeginEvent):
            self._log.append(f"seal_begin {self.plan.hearing} by {event.by}: {event.reason}")
        elif isinstance(event, SealEndEvent):
            self._log.append(f"seal_end {self.plan.hearing} by {event.by}: {event.reason}")

    def health(self) -> RecorderHealth:
        started = f"start {self.plan.hearing} {self.plan.recording_id}" in self._log
        return RecorderHealth(problems={"synthetic-1": ()}, sealed_bytes=1000 if started else 0)


class Room:
    """A spool, a cached schedule, a clock, and services made on them (one per 'process')."""

    def __init__(self, spool: Path) -> None:
        self.spool = spool
        self.clock = ManualClock(START - timedelta(minutes=10))
        self.log: list[str] = []
        self.failing = False
        self.plans: list[RecordingPlan] = []

    def schedule(self, *hearings: ScheduledHearing) -> None:
        ScheduleCache(self.spool).save(RoomSchedule("court-a", "room-a", self.clock.now(), hearings))

    def service(self, room_name: str | None = None) -> CourtroomService:
        planner = Planner(timedelta(minutes=5), timedelta(minutes=60))
        config = ServiceConfig(
            court="court-a", room="room-a", device_id="pc-1", spool=self.spool,
            sources=[parse_source_spec("synthetic")], planner=planner, room_name=room_name,
        )  # fmt: skip
        return CourtroomService(
            config,
            portal=None,
            store=None,
            clock=self.clock,
            make_recorder=self._recorder,
        )

    def _recorder(self, plan: RecordingPlan) -> NotedRecording:
        self.plans.append(plan)
        return NotedRecording(plan, self.log, self.failing)


def _hearing(hearing_id: int, start: datetime, minutes: int = 60) -> ScheduledHearing:
    end = start + timedelta(minutes=minutes)
    return ScheduledHearing(hearing_id, f"case-{hearing_id}", "room-a", start, end, HearingState.SCHEDULED)


@pytest.fixture
def room(tmp_path: Path) -> Room:
    return Room(tmp_path / "spool")


def test_a_restarted_service_resumes_the_same_recording(room: Room) -> None:
    room.schedule(_hearing(1, START))
    room.clock.advance(timedelta(minutes=6))
    first = room.service()
    first.step()
    [started] = room.log
    recording_id = started.split()[2]
    assert started == f"start 1 {recording_id}"
    second = room.service()  # the first "process" died without stopping anything
    second.resume_left_recording()
    assert room.log[-1] == f"start 1 {recording_id}"
    second.step()
    assert len(room.log) == 2  # nothing else: the hearing goes on being recorded
    assert second.status().state is RecorderState.RECORDING
    assert second.status().recording_id == recording_id


@pytest.mark.parametrize(("option", "caption_room"), [(None, "第一法庭"), ("审判庭一", "审判庭一")])
def test_the_caption_names_the_courtroom_from_the_schedule_unless_the_option_does(
    room: Room, option: str | None, caption_room: str
) -> None:
    hearing = dataclasses.replace(_hearing(1, START), case_number="（2026）京0105民初1234号")
    room.schedule(dataclasses.replace(hearing, courtroom_name="第一法庭"))
    room.clock.advance(timedelta(minutes=6))
    room.service(room_name=option).step()
    [plan] = room.plans
    assert (plan.room_name, plan.case) == (caption_room, "（2026）京0105民初1234号")


def test_the_next_hearing_starts_before_the_previous_stops(room: Room) -> None:
    room.schedule(_hearing(1, START), _hearing(2, START + timedelta(hours=1)))
    service = room.service()
    room.clock.advance(timedelta(minutes=6))
    service.step()
    room.clock.advance(timedelta(minutes=61))  # 3 minutes before the second: the first goes on
    service.step()
    assert len(room.log) == 1
    room.clock.advance(timedelta(minutes=3))
    service.step()
    assert [line.split()[:2] for line in room.log] == [["start", "1"], ["start", "2"], ["stop", "1"]]
    assert room.log[-1] == "stop 1 the next hearing in this courtroom started"
    room.clock.advance(timedelta(hours=3))
    service.step()
    assert room.log[-1] == "stop 2 expected end plus grace passed without the clerk's close"
    service.step()
    assert len(room.log) == 4  # neither hearing starts again


def test_a_recording_that_cannot_start_is_a_fault_and_is_retried(room: Room) -> None:
    room.schedule(_hearing(1, START))
    room.clock.advance(timedelta(minutes=6))
    room.failing = True
    service = room.service()
    service.step()
    status = service.status()
    assert status.state is RecorderState.FAULT and "cannot be opened" in status.detail
    assert status.hearing_id == 1 and room.log == []
    room.failing = False
    service.step()
    assert room.log == []  # not before the retry time
    room.clock.advance(START_RETRY_SECONDS)
    service.step()
    assert [line.split()[:2] for line in room.log] == [["start", "1"]]
    assert service.status().state is RecorderState.RECORDING


def test_a_recording_left_by_a_run_long_ago_is_closed_with_the_reason(room: Room) -> None:
    room.schedule(_hearing(1, START))
    room.clock.advance(timedelta(minutes=6))
    room.service().step()
    room.clock.advance(timedelta(hours=3))  # the PC was off until long after the hearing
    later = room.service()
    later.resume_left_recording()
    assert (
        room.log[-1]
        == "stop 1 closed after a restart: expected end plus grace passed without the clerk's close"
    )
    later.step()
    assert len(room.log) == 3 and later.status().state is RecorderState.IDLE


def test_an_ad_hoc_hearing_records_until_the_clerk_closes_it_and_survives_a_restart(room: Room) -> None:
    service = room.service()
    now = room.clock.now()
    ad_hoc = ScheduledHearing(-1, "", "room-a", now, now + timedelta(hours=8), HearingState.SCHEDULED)
    recording_id = service.start_ad_hoc(ad_hoc)
    assert recording_id is not None and "-adhoc-" in recording_id
    assert room.log == [f"start None {recording_id}"]  # no portal hearing id in the journal
    service.step()
    assert len(room.log) == 1  # the schedule (empty) does not stop it
    status = service.status()
    assert status.state is RecorderState.RECORDING and status.hearing_id is None
    body = status.to_body()
    assert body["hearing_id"] is None and [r["hearing_id"] for r in body["recordings"]] == [None]  # type: ignore[union-attr, index]
    with pytest.raises(CaptureError):
        service.start_ad_hoc(ad_hoc)  # one recording at a time

    restarted = room.service()  # the first "process" died
    restarted.resume_left_recording()
    assert room.log[-1] == f"start None {recording_id}"
    restarted.marks.set(recording_id, pause=PauseMark(PauseReason.RECESS, "休庭", "王书记员", now))
    assert restarted.status().state is RecorderState.PAUSED
    check = ReadinessCheck(ReadinessItem.STORAGE, ok=True, detail="本机存储约可再录 20 小时")
    restarted.marks.set(recording_id, readiness=ReadinessMark(ReadinessEvent((check,), "王书记员"), now))
    readiness = restarted.status().to_body()["readiness"]
    assert isinstance(readiness, dict) and readiness["ready"] is True and readiness["by"] == "王书记员"

    restarted.close_active("hearing closed by the clerk (王书记员)", by="王书记员")
    assert room.log[-2:] == [
        "resume None by 系统: the recording stops while paused: hearing closed by the clerk (王书记员)",
        "stop None hearing closed by the clerk (王书记员)",
    ]
    room.clock.advance(timedelta(minutes=30))
    restarted.step()
    assert len(room.log) == 4 and restarted.status().state is RecorderState.IDLE  # not started again
    assert restarted.status().readiness is None  # marks belong to the recording that ended
    assert restarted.status().closed == ()  # an ad-hoc hearing is not the portal's to close


def test_a_hearing_the_clerk_closes_at_the_console_is_reported_closed_until_the_portal_takes_it(
    room: Room,
) -> None:
    room.schedule(_hearing(1, START))
    room.clock.advance(timedelta(minutes=6))
    service = room.service()
    service.step()
    service.close_active("hearing closed by the clerk (王书记员)", by="王书记员")
    assert room.log[-1] == "stop 1 hearing closed by the clerk (王书记员)"
    status = service.status()
    assert [(c.hearing_id, c.by) for c in status.closed] == [(1, "王书记员")]
    assert status.to_body()["closed_hearings"] == [
        {"hearing_id": 1, "by": "王书记员", "at": room.clock.now().isoformat()}
    ]
    service._delivered(status)  # the portal took the report
    assert service.status().closed == ()
    service.step()
    assert len(room.log) == 2  # the hearing is finished here, whatever the cached schedule says


def test_serve_without_the_agent_token_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("COURTREC_PORTAL_AGENT_TOKEN", raising=False)
    arguments = ["serve", "--room", "room-a", "--portal", "http://127.0.0.1:9", "--spool", str(tmp_path)]
    assert main([*arguments, "--source", "synthetic"]) == 2
    assert "COURTREC_PORTAL_AGENT_TOKEN" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--lead-minutes", "-1", "--lead-minutes and --grace-minutes must be >= 0"),
        ("--segment-seconds", "1", "--segment-seconds must be between 2 and 60"),
        ("--schedule-days", "90", "--schedule-days must be between 1 and 31"),
    ],
)
def test_serve_refuses_bad_options_naming_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, message: str
) -> None:
    arguments = ["serve", "--room", "room-a", "--portal", "http://127.0.0.1:9", "--spool", str(tmp_path)]
    assert main([*arguments, "--source", "synthetic", option, value]) == 2
    assert message in capsys.readouterr().err
